"""Single sign-on through an organisation's OpenID Connect provider (allauth.socialaccount).

allauth does the protocol, the signup and the linking by verified address (the settings say
which); Practica adds what it keeps about a member for every sign-in route: linking and
unlinking a provider are security events, the links are part of the member's data export, and
they go when the identity is erased.
"""

from allauth.socialaccount import signals as social_signals
from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts.data_export import rows
from accounts.models import SecurityEvent
from accounts.services import security_event_record

Kind = SecurityEvent.Kind
_DISPATCH_UID = "accounts.sso"


def _provider_name(account: SocialAccount) -> str:
    try:
        return str(account.get_provider().name)
    except SocialApp.DoesNotExist:  # a provider since removed from the settings and the admin
        return account.provider


def _linked(sender, request=None, sociallogin=None, **kwargs):
    account = sociallogin.account
    security_event_record(
        user=account.user, kind=Kind.SSO_LINKED, request=request, detail=_provider_name(account)
    )


def _unlinked(sender, request=None, socialaccount=None, **kwargs):
    security_event_record(
        user=socialaccount.user,
        kind=Kind.SSO_UNLINKED,
        request=request,
        detail=_provider_name(socialaccount),
    )


def connect() -> None:
    social_signals.social_account_added.connect(
        _linked, weak=False, dispatch_uid=f"{_DISPATCH_UID}.added"
    )
    social_signals.social_account_removed.connect(
        _unlinked, weak=False, dispatch_uid=f"{_DISPATCH_UID}.removed"
    )


def export_section(user) -> list[dict]:
    """The providers the member signs in with and what each told Practica about them."""
    return rows(
        SocialAccount.objects.filter(user=user).order_by("date_joined", "id"),
    )


def erase(user, *, remove_posts: bool, old_names) -> None:
    """The provider's identifier and claims (name, address) leave with the identity."""
    SocialAccount.objects.filter(user=user).delete()
