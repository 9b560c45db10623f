"""Reads of the sign-in security state."""

from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount

from accounts.models import DataExport, PrivacyNotice, SecurityEvent

SECURITY_LOG_LENGTH = 50
_MFA_ATTR = "_practica_has_mfa"
# Recovery codes alone are a fallback, not a second factor.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def user_has_mfa(user) -> bool:
    """Has *user* a second factor (an authenticator app or a security key)? One query per user
    object, remembered on it."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, _MFA_ATTR):
        has = Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()
        setattr(user, _MFA_ATTR, has)
    return getattr(user, _MFA_ATTR)


def security_events_for(user, *, limit: int = SECURITY_LOG_LENGTH) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-at", "-id")[:limit])


def data_exports_for(user, *, limit: int = 5):
    return list(DataExport.objects.filter(user=user).order_by("-requested_at", "-id")[:limit])


def privacy_notice() -> PrivacyNotice | None:
    return PrivacyNotice.objects.order_by("-updated_at", "-id").first()


def sso_links_for(request, user) -> dict:
    """The single sign-on providers configured (settings and admin) and the names of those
    *user* is linked to: two queries, however many links."""
    apps = get_social_adapter(request).list_apps(request)
    names = {app.provider_id or app.provider: app.name for app in apps}
    linked = SocialAccount.objects.filter(user=user).values_list("provider", flat=True)
    return {
        "configured": bool(apps),
        "linked": sorted(names.get(provider, provider) for provider in set(linked)),
    }
