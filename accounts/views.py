from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions, services
from accounts.forms import AccountCloseForm
from accounts.selectors import (
    data_exports_for,
    privacy_notice,
    security_events_for,
    sso_links_for,
    user_has_mfa,
)
from accounts.storage import export_storage


@require_GET
@login_required
def security(request):
    return render(
        request,
        "accounts/security.html",
        {
            "events": security_events_for(request.user),
            "has_mfa": user_has_mfa(request.user),
            "sso": sso_links_for(request, request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def your_data(request):
    if request.method == "POST":
        try:
            services.data_export_request(user=request.user)
        except services.ExportRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request, "We are preparing your archive. We will email you when it is ready."
            )
        return redirect("accounts:your_data")
    context = {
        "exports": data_exports_for(request.user),
        "now": timezone.now(),
        "export_days": settings.PRACTICA_EXPORT_DAYS,
        "grace_days": settings.PRACTICA_ACCOUNT_GRACE_DAYS,
    }
    return render(request, "accounts/your_data.html", context)


@require_GET
@login_required
def data_export_download(request, export_id: int):
    export = permissions.access_data_export_file(request.user, export_id)
    response = FileResponse(
        export_storage.open(export.file_name, "rb"),
        as_attachment=True,
        filename=f"practica-data-{export.ready_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def close_account(request):
    form = AccountCloseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_close_request(
                user=request.user, remove_posts=form.remove_posts, request=request
            )
        except services.ClosureRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            logout(request)
            return redirect("accounts:closed")
    context = {
        "form": form,
        "grace_days": settings.PRACTICA_ACCOUNT_GRACE_DAYS,
        "policy": settings.PRACTICA_CLOSED_ACCOUNT_POSTS,
    }
    return render(request, "accounts/close.html", context)


@require_GET
def account_closed(request):
    return render(
        request, "accounts/closed.html", {"grace_days": settings.PRACTICA_ACCOUNT_GRACE_DAYS}
    )


@require_http_methods(["GET", "POST"])
def close_undo(request, token: str):
    if request.method == "POST":
        user = services.account_close_undo(token=token)
        if user is None:
            return render(request, "accounts/close_undo.html", {"invalid": True}, status=400)
        messages.success(request, "Your account is open again. Sign in to continue.")
        return redirect("account_login")
    return render(request, "accounts/close_undo.html", {"invalid": False})


@require_GET
def privacy(request):
    context = {
        "notice": privacy_notice(),
        "export_days": settings.PRACTICA_EXPORT_DAYS,
        "grace_days": settings.PRACTICA_ACCOUNT_GRACE_DAYS,
    }
    return render(request, "accounts/privacy.html", context)
