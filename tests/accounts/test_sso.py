"""Single sign-on against a real OpenID Connect provider on loopback.

The provider is a separate Django project (tests/accounts/oidc_provider: django-oauth-toolkit's
OIDC support, an RSA key made at start-up) run as a subprocess with its own SQLite file.
Practica runs in pytest-django's live server; a requests.Session is the browser, so every step
(the button's POST, the provider's login form, the redirect with the code, the code exchanged
for tokens, the ID token's signature checked against the provider's keys, the userinfo) goes
over HTTP as it would in production.
"""

import html
import re
from urllib.parse import quote, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accounts import data_export, services
from accounts.models import SecurityEvent
from communities.models import Profile
from config.env import env_oidc_apps
from core.models import OutboundEmail
from tests.accounts.oidc_provider.process import running_provider
from tests.factories import CommunityFactory, UserFactory

User = get_user_model()
PROVIDER_ID = "stmarys"
PROVIDER_NAME = "St Mary's staff login"
CLIENT_ID = "practica-tests"
CLIENT_SECRET = "a-client-secret-for-the-tests"
PASSWORD = "provider password 1"
# The provider's people: who they are there, and whether the provider verified the address.
PROVIDER_USERS = [
    {"username": "carol", "email": "carol@stmarys.example", "first_name": "Carol"},
    {"username": "dana.s", "email": "dana@stmarys.example", "first_name": "Dana"},
    {"username": "erin", "email": "erin@stmarys.example", "email_verified": False},
    {"username": "hal", "email": "hal@elsewhere.example", "email_verified": False},
    {"username": "ivan", "email": ""},
    {"username": "jo", "email": "jo@stmarys.example"},
    {"username": "kim", "email": "kim@stmarys.example"},
]


@pytest.fixture(scope="module")
def oidc_provider(live_server, tmp_path_factory):
    """The provider's base URL (its issuer), serving until the module's tests are done."""
    with running_provider(
        tmp_path_factory.mktemp("oidc_provider"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"],
        users=[{**person, "password": PASSWORD} for person in PROVIDER_USERS],
    ) as issuer:
        yield issuer


@pytest.fixture
def from_environment(oidc_provider, monkeypatch, settings):
    """The provider configured as an operator would: PRACTICA_OIDC_* in the environment."""
    monkeypatch.setenv("PRACTICA_OIDC_PROVIDER_ID", PROVIDER_ID)
    monkeypatch.setenv("PRACTICA_OIDC_NAME", PROVIDER_NAME)
    monkeypatch.setenv("PRACTICA_OIDC_SERVER_URL", oidc_provider)
    monkeypatch.setenv("PRACTICA_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PRACTICA_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": env_oidc_apps()}}


@pytest.fixture
def from_admin(oidc_provider, settings):
    """The provider configured in the admin: a Social application row, nothing in settings."""
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    return SocialApp.objects.create(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name=PROVIDER_NAME,
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        settings={"server_url": oidc_provider, "oauth_pkce_enabled": True},
    )


def _form(page: requests.Response, action_pattern: str) -> tuple[str, dict]:
    """The action and hidden fields of the first form on *page* whose action matches."""
    for match in re.finditer(r"<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", page.text, re.S):
        action = html.unescape(match.group(1))
        if re.search(action_pattern, action):
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2))
            )
            return action, {k: html.unescape(v) for k, v in fields.items()}
    raise AssertionError(f"no form to {action_pattern} on {page.url}:\n{page.text[:3000]}")


def sign_in_through_provider(base: str, username: str, next_url: str):
    """Click "Sign in with …" on Practica's login page, sign in at the provider, come back;
    return the browser and its last response."""
    browser = requests.Session()
    login_page = browser.get(f"{base}/accounts/login/?next={quote(next_url)}", timeout=10)
    assert f"Sign in with {PROVIDER_NAME}" in html.unescape(login_page.text)
    action, fields = _form(login_page, rf"/accounts/oidc/{PROVIDER_ID}/login/")
    at_provider = browser.post(base + action, data=fields, timeout=10)
    assert urlsplit(at_provider.url).path == "/login/", at_provider.url
    assert at_provider.url.startswith("http://127.0.0.1:")
    action, fields = _form(at_provider, r"/login/")
    back = browser.post(
        urlsplit(at_provider.url)._replace(path=action, query="").geturl(),
        data={**fields, "username": username, "password": PASSWORD},
        timeout=20,
    )
    return browser, back


def test_sso_signup_creates_the_member_and_returns_to_the_next_page(live_server, from_environment):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    next_url = community.get_absolute_url()

    browser, back = sign_in_through_provider(live_server.url, "carol", next_url)

    assert back.status_code == 200
    assert back.url == live_server.url + next_url
    carol = User.objects.get(email="carol@stmarys.example")
    assert carol.username == "carol"
    assert carol.first_name == "Carol"
    assert Profile.objects.filter(user=carol).exists()
    account = SocialAccount.objects.get(user=carol)
    assert account.provider == PROVIDER_ID
    # The provider verified the address: no confirmation email, the address counts as verified.
    assert EmailAddress.objects.filter(user=carol, email=carol.email, verified=True).exists()
    assert not [m for m in mail.outbox if "confirm" in m.subject.lower()]
    assert SecurityEvent.objects.filter(user=carol, kind=SecurityEvent.Kind.SIGNED_IN).exists()
    # Signed in: the account pages open instead of sending to the login page.
    security = browser.get(f"{live_server.url}/accounts/security/", timeout=10)
    assert security.url == f"{live_server.url}/accounts/security/"
    assert PROVIDER_NAME in html.unescape(security.text)

    # The next sign-in finds the same member; a next page elsewhere is not followed.
    _browser, again = sign_in_through_provider(live_server.url, "carol", "https://evil.example/")
    assert again.url == f"{live_server.url}/"
    assert User.objects.filter(email="carol@stmarys.example").count() == 1


def test_sso_links_an_existing_account_by_verified_email(live_server, from_admin):
    dana = UserFactory(username="dana", email="dana@stmarys.example")
    EmailAddress.objects.create(user=dana, email=dana.email, verified=True, primary=True)
    users_before = User.objects.count()

    browser, back = sign_in_through_provider(live_server.url, "dana.s", "/accounts/security/")

    assert back.url == f"{live_server.url}/accounts/security/"
    assert User.objects.count() == users_before
    account = SocialAccount.objects.get(provider=PROVIDER_ID)
    assert account.user_id == dana.pk
    dana.refresh_from_db()
    assert dana.has_usable_password()  # her address was verified here too: nothing to fear
    linked = SecurityEvent.objects.get(user=dana, kind=SecurityEvent.Kind.SSO_LINKED)
    assert linked.detail == PROVIDER_NAME
    assert "Single sign-on linked: St Mary" in html.unescape(back.text)
    assert any(dana.email in m.to for m in mail.outbox)  # allauth's "account connected" notice


def test_sso_linking_an_account_that_never_confirmed_the_address_removes_its_password(
    live_server, from_environment
):
    """Whoever registered kim@… here without confirming it may not be Kim: once the provider
    vouches for the address, the account is Kim's and the unknown password no longer opens it."""
    squatter = UserFactory(username="kim-or-not", email="kim@stmarys.example")
    EmailAddress.objects.create(user=squatter, email=squatter.email, verified=False, primary=True)

    _browser, back = sign_in_through_provider(live_server.url, "kim", "/accounts/security/")

    assert SocialAccount.objects.get(provider=PROVIDER_ID).user_id == squatter.pk
    squatter.refresh_from_db()
    assert not squatter.has_usable_password()
    # Practica's own rule still holds: the address is confirmed by email before a sign-in.
    assert urlsplit(back.url).path == "/accounts/confirm-email/"
    assert [m for m in mail.outbox if m.to == [squatter.email] and "confirm" in m.subject.lower()]


def test_sso_still_asks_for_practicas_second_factor(live_server, from_environment):
    """The provider's sign-in replaces the password, not the member's second factor."""
    jo = UserFactory(username="jo", email="jo@stmarys.example", is_staff=True)
    EmailAddress.objects.create(user=jo, email=jo.email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(jo, secret)

    browser, back = sign_in_through_provider(live_server.url, "jo", "/accounts/security/")

    assert urlsplit(back.url).path == "/accounts/2fa/authenticate/"
    assert not SecurityEvent.objects.filter(user=jo, kind=SecurityEvent.Kind.SIGNED_IN).exists()
    action, fields = _form(back, r"/accounts/2fa/authenticate/")
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    done = browser.post(live_server.url + action, data={**fields, "code": code}, timeout=10)
    assert done.url == f"{live_server.url}/accounts/security/"
    assert SocialAccount.objects.get(provider=PROVIDER_ID).user_id == jo.pk


def test_sso_unverified_email_neither_links_nor_signs_in(live_server, from_environment):
    """A provider that did not verify an address that a Practica account has is refused:
    no link, no second account, nobody signed in; allauth shows the "check your email" page
    (so the answer does not reveal that the address has an account) and emails the owner."""
    erin = UserFactory(username="erin", email="erin@stmarys.example")
    EmailAddress.objects.create(user=erin, email=erin.email, verified=True, primary=True)
    users_before = User.objects.count()

    browser, back = sign_in_through_provider(live_server.url, "erin", "/accounts/security/")

    assert back.url.startswith(live_server.url)
    assert urlsplit(back.url).path != "/accounts/security/"
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    erin.refresh_from_db()
    assert erin.has_usable_password()
    assert not SecurityEvent.objects.filter(user=erin).exists()
    (notice,) = [m for m in mail.outbox if m.to == [erin.email]]
    assert "already" in notice.subject.lower() or "already" in notice.body.lower()
    security = browser.get(f"{live_server.url}/accounts/security/", timeout=10)
    assert urlsplit(security.url).path == "/accounts/login/"


def test_sso_signup_with_an_unverified_address_asks_to_confirm_it(live_server, from_environment):
    """A new person whose provider did not verify their address becomes a member, but signs
    in only once they confirm it, as after a password sign-up (ACCOUNT_EMAIL_VERIFICATION)."""
    browser, back = sign_in_through_provider(live_server.url, "hal", "/accounts/security/")

    assert urlsplit(back.url).path == "/accounts/confirm-email/"
    hal = User.objects.get(email="hal@elsewhere.example")
    assert SocialAccount.objects.filter(user=hal, provider=PROVIDER_ID).exists()
    assert not EmailAddress.objects.filter(user=hal, verified=True).exists()
    assert [m for m in mail.outbox if m.to == [hal.email] and "confirm" in m.subject.lower()]
    security = browser.get(f"{live_server.url}/accounts/security/", timeout=10)
    assert urlsplit(security.url).path == "/accounts/login/"


def test_sso_signup_without_an_address_asks_for_one(live_server, from_environment):
    """A provider that sends no address leads to allauth's last sign-up step, in our layout."""
    browser, back = sign_in_through_provider(live_server.url, "ivan", "/accounts/security/")

    assert urlsplit(back.url).path == "/accounts/3rdparty/signup/"
    page = html.unescape(back.text)
    assert "Create your account" in page and f"with {PROVIDER_NAME} for the first time" in page
    assert 'class="site-header' in page
    assert not User.objects.filter(username="ivan").exists()
    action, fields = _form(back, r"/accounts/3rdparty/signup/")
    done = browser.post(
        live_server.url + action,
        data={**fields, "email": "ivan@stmarys.example", "username": "ivan"},
        timeout=10,
    )
    assert urlsplit(done.url).path == "/accounts/confirm-email/"
    assert SocialAccount.objects.filter(user__email="ivan@stmarys.example").exists()


def _form_action(response) -> list[str]:
    """The sources of the response's CSP form-action (django-csp orders directives freely)."""
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name == "form-action":
            return sources
    return []


@pytest.mark.django_db
def test_login_page_has_no_sso_button_without_a_provider(client, settings, monkeypatch):
    for name in ("SERVER_URL", "CLIENT_ID", "CLIENT_SECRET", "NAME", "PROVIDER_ID"):
        monkeypatch.delenv(f"PRACTICA_OIDC_{name}", raising=False)
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": env_oidc_apps()}}

    page = client.get("/accounts/login/?next=/accounts/security/")

    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert b"/accounts/oidc/" not in page.content
    assert _form_action(page) == ["'self'"]


@pytest.mark.django_db
def test_sign_in_pages_may_post_to_the_provider_and_no_other_page(client, settings):
    """Browsers apply form-action to the redirect after the button's POST: without the
    provider's origin there, the button does nothing (the requests tests cannot see this;
    tests/e2e/test_sso.py clicks it in Chromium)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": PROVIDER_NAME,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": "https://id.stmarys.example/realms/staff"},
                }
            ]
        }
    }
    login = client.get("/accounts/login/")
    assert f"Sign in with {PROVIDER_NAME}" in html.unescape(login.content.decode())
    assert _form_action(login) == ["'self'", "https://id.stmarys.example"]
    confirm = client.get(f"/accounts/oidc/{PROVIDER_ID}/login/?next=/accounts/security/")
    assert _form_action(confirm) == ["'self'", "https://id.stmarys.example"]
    assert f"Sign in with {PROVIDER_NAME}" in html.unescape(confirm.content.decode())
    other = client.get("/accounts/privacy/")
    assert _form_action(other) == ["'self'"]


def test_env_oidc_apps_reads_the_environment(monkeypatch):
    for name in ("SERVER_URL", "CLIENT_ID", "CLIENT_SECRET", "NAME", "PROVIDER_ID"):
        monkeypatch.delenv(f"PRACTICA_OIDC_{name}", raising=False)
    assert env_oidc_apps() == []

    monkeypatch.setenv("PRACTICA_OIDC_SERVER_URL", "https://id.stmarys.example/realms/staff/")
    with pytest.raises(ImproperlyConfigured, match="PRACTICA_OIDC_CLIENT_ID"):
        env_oidc_apps()

    monkeypatch.setenv("PRACTICA_OIDC_CLIENT_ID", "practica")
    monkeypatch.setenv("PRACTICA_OIDC_CLIENT_SECRET", "secret")
    (app,) = env_oidc_apps()
    assert app["provider_id"] == "sso"
    assert app["name"] == "single sign-on"
    assert app["settings"]["server_url"] == "https://id.stmarys.example/realms/staff"

    monkeypatch.setenv("PRACTICA_OIDC_PROVIDER_ID", "St Mary's")
    with pytest.raises(ImproperlyConfigured, match="PRACTICA_OIDC_PROVIDER_ID"):
        env_oidc_apps()


@pytest.mark.django_db
def test_sso_link_is_exported_and_erased_with_the_identity():
    member = UserFactory(username="frank", email="frank@stmarys.example")
    SocialAccount.objects.create(
        user=member, provider=PROVIDER_ID, uid="42", extra_data={"userinfo": {"name": "Frank"}}
    )

    (exported,) = data_export.collect(member)["single_sign_on"]
    assert exported["uid"] == "42"
    assert exported["extra_data"] == {"userinfo": {"name": "Frank"}}
    assert "user_id" not in exported

    closure = services.account_close_request(user=member, remove_posts=False)
    assert SocialAccount.objects.filter(user=member).exists()  # the grace period keeps it
    assert services.account_erase(closure_id=closure.pk, now=closure.erase_at)
    assert not SocialAccount.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_removing_a_link_is_logged(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": PROVIDER_NAME,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": "https://id.stmarys.example/realms/staff"},
                }
            ]
        }
    }
    member = UserFactory(username="lee", email="lee@stmarys.example")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    link = SocialAccount.objects.create(user=member, provider=PROVIDER_ID, uid="7")
    client.force_login(member)

    page = client.get("/accounts/3rdparty/")
    assert PROVIDER_NAME in html.unescape(page.content.decode())
    response = client.post("/accounts/3rdparty/", {"account": link.pk})

    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=link.pk).exists()
    removed = SecurityEvent.objects.get(user=member, kind=SecurityEvent.Kind.SSO_UNLINKED)
    assert removed.detail == PROVIDER_NAME
    # allauth's "disconnected" notice, queued in the outbox (sent after the commit).
    assert OutboundEmail.objects.filter(to=[member.email], subject__icontains="disconnected")
