"""Single sign-on through an organisation's OpenID Connect or SAML identity provider
(allauth.socialaccount).

allauth does the protocol, the signup and the linking by verified address (the settings say
which); Practica adds what it keeps about a member for every sign-in route: linking and
unlinking a provider are security events, the links are part of the member's data export, and
they go when the identity is erased.
"""

from urllib.parse import urlsplit

from allauth.socialaccount import signals as social_signals
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts.data_export import rows
from accounts.models import SecurityEvent
from accounts.services import security_event_record

Kind = SecurityEvent.Kind
_DISPATCH_UID = "accounts.sso"
# The pages whose forms lead to a provider: the login page's buttons, allauth's "Continue to
# the provider" page, the connections page (adding a link), re-authentication.
PAGES_WITH_PROVIDER_FORMS = frozenset(
    {
        "account_login",
        "openid_connect_login",
        "saml_login",
        "socialaccount_connections",
        "account_reauthenticate",
    }
)


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def provider_origins(request) -> list[str]:
    """The origins a sign-in form may be redirected to: each configured OpenID provider's issuer,
    and its authorization endpoint where the app's settings override it; each SAML IdP's sign-in
    URL (or, configured by metadata URL, that URL's origin: the IdP's usual host)."""
    origins = set()
    for app in get_social_adapter(request).list_apps(request):
        app_settings = app.settings or {}
        overrides = app_settings.get("openid_configuration_overrides") or {}
        idp = app_settings.get("idp") or {}
        for url in (
            app_settings.get("server_url"),
            overrides.get("authorization_endpoint"),
            idp.get("sso_url"),
            idp.get("metadata_url"),
        ):
            if origin := _origin(url):
                origins.add(origin)
    return sorted(origins)


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
