"""Each sign-in and account change announced by django.contrib.auth or allauth becomes one row
of the member's security log (``services.security_event_record``)."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals

from accounts.models import SecurityEvent
from accounts.services import security_event_record

Kind = SecurityEvent.Kind
_METHOD_NAMES = {
    Authenticator.Type.TOTP: "Authenticator app",
    Authenticator.Type.WEBAUTHN: "Security key",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes",
}
_DISPATCH_UID = "accounts.security_log"


def _simple(kind):
    def receive(sender, request=None, user=None, **kwargs):
        if user is not None and user.pk:
            security_event_record(user=user, kind=kind, request=request)

    return receive


def _email(kind, address_kwarg):
    def receive(sender, request=None, user=None, **kwargs):
        address = kwargs.get(address_kwarg)
        security_event_record(
            user=user, kind=kind, request=request, detail=getattr(address, "email", "") or ""
        )

    return receive


def _authenticator(kind):
    def receive(sender, request=None, user=None, authenticator=None, **kwargs):
        name = _METHOD_NAMES.get(getattr(authenticator, "type", None), "")
        security_event_record(user=user, kind=kind, request=request, detail=name)

    return receive


RECEIVERS = [
    (auth_signals.user_logged_in, _simple(Kind.SIGNED_IN)),
    (account_signals.password_changed, _simple(Kind.PASSWORD_CHANGED)),
    (account_signals.password_set, _simple(Kind.PASSWORD_SET)),
    (account_signals.password_reset, _simple(Kind.PASSWORD_RESET)),
    (account_signals.email_added, _email(Kind.EMAIL_ADDED, "email_address")),
    (account_signals.email_changed, _email(Kind.EMAIL_CHANGED, "to_email_address")),
    (account_signals.email_removed, _email(Kind.EMAIL_REMOVED, "email_address")),
    (mfa_signals.authenticator_added, _authenticator(Kind.MFA_ADDED)),
    (mfa_signals.authenticator_removed, _authenticator(Kind.MFA_REMOVED)),
    (mfa_signals.authenticator_reset, _authenticator(Kind.MFA_RESET)),
]


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, weak=False, dispatch_uid=f"{_DISPATCH_UID}.{id(signal)}")
