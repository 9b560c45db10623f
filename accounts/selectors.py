"""Reads of the sign-in security state."""

from allauth.mfa.models import Authenticator

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
