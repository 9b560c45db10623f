from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import security_events_for, user_has_mfa


@require_GET
@login_required
def security(request):
    return render(
        request,
        "accounts/security.html",
        {"events": security_events_for(request.user), "has_mfa": user_has_mfa(request.user)},
    )
