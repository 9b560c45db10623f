"""Staff accounts work only after setting up a second factor (settings.PRACTICA_REQUIRE_STAFF_MFA).

A staff member without one is sent to the two-factor page from every page but the account
pages (sign-in, sign-out, two-factor setup, email confirmation) and static files. Members who
are not staff pay nothing: ``is_staff`` is on the user row already loaded.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from accounts.selectors import user_has_mfa
from accounts.sso import PAGES_WITH_PROVIDER_FORMS, provider_origins

NOTICE = (
    "Staff accounts need two-factor authentication. "
    "Set up an authenticator app or a security key to continue."
)


class StaffTwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up(request):
            messages.warning(request, NOTICE)
            return redirect(reverse("mfa_index"))
        return self.get_response(request)

    @staticmethod
    def _must_set_up(request) -> bool:
        if not getattr(settings, "PRACTICA_REQUIRE_STAFF_MFA", False):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        path = request.path_info
        if path.startswith(("/accounts/", "/" + settings.STATIC_URL.lstrip("/"))):
            return False
        return not user_has_mfa(user)


class SingleSignOnFormActionMiddleware:
    """Let the sign-in pages' forms lead to the single sign-on provider.

    The Content-Security-Policy allows forms to post only to Practica (form-action 'self'), and
    browsers apply that to the redirects after the post too: the button's POST is answered by a
    redirect to the provider, which the browser would block. The pages that carry such forms
    add the providers' origins (settings and admin) to form-action; no other page does. Runs
    inside django-csp's middleware, which reads the addition from the response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PAGES_WITH_PROVIDER_FORMS:
            origins = provider_origins(request)
            if origins:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["form-action"] = [*update.get("form-action", []), *origins]
                response._csp_update = update
        return response
