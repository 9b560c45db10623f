"""The member's access-token settings: list, create (the secret shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import permissions, selectors, services
from api.forms import TokenCreateForm
from core.forms import add_service_error


@never_cache
@login_required
def token_settings_view(request):
    form = TokenCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expiry(),
                request=request,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = TokenCreateForm()
    context = {
        "form": form,
        "created": created,
        "tokens": selectors.token_list(user=request.user),
        "now": timezone.now(),
    }
    # The secret is rendered into this one answer (no redirect): it is stored nowhere.
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke_view(request, token_id):
    token = permissions.access_token(user=request.user, token_id=token_id)
    services.token_revoke(token=token, by=request.user, request=request)
    messages.success(request, f"Token “{token.name}” is revoked; calls with it now fail.")
    return redirect("api:tokens")
