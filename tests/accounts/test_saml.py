"""SAML sign-in against a real identity provider on loopback.

The IdP is pysaml2's (tests/accounts/saml_idp: a key and certificate made at start-up, its
answers signed by Debian's xmlsec1), run as a subprocess; it learns about Practica from
Practica's own SP metadata. Practica (allauth's SAML provider, python3-saml) runs in
pytest-django's live server, configured from PRACTICA_SAML_* as an operator would. A
requests.Session is the browser: the button's POST, the AuthnRequest carried to the IdP by
redirect, the IdP's sign-in form, the signed Response posted back to the ACS (what the IdP
page's script does in a browser), the return to the page the member asked for.
"""

import base64
import html
import re
from urllib.parse import quote, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from accounts.models import SecurityEvent
from communities.models import Profile
from config.env import env_saml_apps
from tests.accounts.saml_idp.process import running_idp
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.xmlsec1

User = get_user_model()
SLUG = "stmarys"
NAME = "St Mary's staff login (SAML)"
PASSWORD = "idp password 1"
IDP_USERS = [
    {
        "username": "carol",
        "email": "carol@stmarys.example",
        "first_name": "Carol",
        "last_name": "Ng",
    },
    {"username": "dana.s", "email": "dana@stmarys.example", "first_name": "Dana"},
    {"username": "hank", "email": "hank@elsewhere.example"},
    {"username": "mallory", "email": "mallory@stmarys.example", "sign": False},
    {"username": "oscar", "email": "oscar@stmarys.example", "foreign_key": True},
    {"username": "pat", "email": "pat@stmarys.example"},
    {"username": "uma", "email": "uma@stmarys.example", "unsolicited": True},
]
SAML_ENV = ("ID", "NAME", "IDP_ENTITY_ID", "IDP_SSO_URL", "IDP_CERT", "VERIFIED_EMAIL_DOMAINS")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth's rate limits (one email per address every 3 minutes) count in the process-wide
    cache, which the live server shares: leave none behind for the next module's tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def saml_idp(live_server, tmp_path_factory):
    with running_idp(
        tmp_path_factory.mktemp("saml_idp"),
        sp_metadata_url=f"{live_server.url}/accounts/saml/{SLUG}/metadata/",
        users=[{**person, "password": PASSWORD} for person in IDP_USERS],
    ) as idp:
        yield idp


@pytest.fixture
def from_environment(saml_idp, monkeypatch, settings):
    """The IdP configured as an operator would: PRACTICA_SAML_* in the environment."""
    monkeypatch.setenv("PRACTICA_SAML_ID", SLUG)
    monkeypatch.setenv("PRACTICA_SAML_NAME", NAME)
    monkeypatch.setenv("PRACTICA_SAML_IDP_ENTITY_ID", saml_idp.entity_id)
    monkeypatch.setenv("PRACTICA_SAML_IDP_SSO_URL", saml_idp.sso_url)
    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", saml_idp.certificate)
    monkeypatch.setenv("PRACTICA_SAML_VERIFIED_EMAIL_DOMAINS", "stmarys.example")
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": env_saml_apps()}}
    return saml_idp


def _form(page: requests.Response, action_pattern: str) -> tuple[str, dict]:
    """The action and hidden fields of the first form on *page* whose action matches."""
    for match in re.finditer(r"<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", page.text, re.S):
        action = html.unescape(match.group(1))
        if re.search(action_pattern, action):
            fields = {}
            for tag in re.findall(r"<input[^>]*>", match.group(2)):
                name = re.search(r'name="([^"]+)"', tag)
                value = re.search(r'value="([^"]*)"', tag)
                if name and 'type="hidden"' in tag:
                    fields[name.group(1)] = html.unescape(value.group(1) if value else "")
            return action, fields
    raise AssertionError(f"no form to {action_pattern} on {page.url}:\n{page.text[:3000]}")


def saml_response_for(base: str, username: str, next_url: str):
    """Click "Sign in with …" on the login page, sign in at the IdP; return the browser and the
    IdP's auto-posting form (the ACS URL and its SAMLResponse and RelayState), not yet posted."""
    browser = requests.Session()
    login_page = browser.get(f"{base}/accounts/login/?next={quote(next_url)}", timeout=10)
    assert f"Sign in with {NAME}" in html.unescape(login_page.text)
    action, fields = _form(login_page, rf"/accounts/saml/{SLUG}/login/")
    at_idp = browser.post(base + action, data=fields, timeout=20)
    assert at_idp.status_code == 200, at_idp.text[:2000]
    assert urlsplit(at_idp.url).path == "/sso/redirect", at_idp.url
    action, fields = _form(at_idp, r"/login")
    posting = browser.post(
        urlsplit(at_idp.url)._replace(path=action, query="").geturl(),
        data={**fields, "username": username, "password": PASSWORD},
        timeout=20,
    )
    assert posting.status_code == 200, posting.text[:2000]
    acs, fields = _form(posting, r"/acs/")
    assert acs == f"{base}/accounts/saml/{SLUG}/acs/"
    assert "SAMLResponse" in fields
    return browser, acs, fields


def sign_in_through_idp(base: str, username: str, next_url: str):
    browser, acs, fields = saml_response_for(base, username, next_url)
    back = browser.post(acs, data=fields, timeout=20)
    return browser, back


def _signed_in(browser, base) -> bool:
    security = browser.get(f"{base}/accounts/security/", timeout=10)
    return urlsplit(security.url).path == "/accounts/security/"


def test_saml_signup_creates_the_member_and_returns_to_the_next_page(live_server, from_environment):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    next_url = community.get_absolute_url()

    browser, back = sign_in_through_idp(live_server.url, "carol", next_url)

    assert back.status_code == 200, back.text[:2000]
    assert back.url == live_server.url + next_url
    carol = User.objects.get(email="carol@stmarys.example")
    assert carol.username == "carol"
    assert (carol.first_name, carol.last_name) == ("Carol", "Ng")
    assert Profile.objects.filter(user=carol).exists()
    account = SocialAccount.objects.get(user=carol)
    assert account.provider == "saml"
    assert account.extra_data["urn:oid:0.9.2342.19200300.100.1.3"] == ["carol@stmarys.example"]
    # The IdP vouches for its organisation's domain: the address counts as verified.
    assert EmailAddress.objects.filter(user=carol, email=carol.email, verified=True).exists()
    assert SecurityEvent.objects.filter(user=carol, kind=SecurityEvent.Kind.SIGNED_IN).exists()
    assert _signed_in(browser, live_server.url)

    # The next sign-in finds the same member by the IdP's persistent identifier.
    _browser, again = sign_in_through_idp(live_server.url, "carol", "/accounts/security/")
    assert again.url == f"{live_server.url}/accounts/security/"
    assert User.objects.filter(email="carol@stmarys.example").count() == 1
    assert SocialAccount.objects.filter(provider="saml").count() == 1


def test_saml_links_an_existing_account_by_verified_email(live_server, from_environment):
    dana = UserFactory(username="dana", email="dana@stmarys.example")
    EmailAddress.objects.create(user=dana, email=dana.email, verified=True, primary=True)
    users_before = User.objects.count()

    browser, back = sign_in_through_idp(live_server.url, "dana.s", "/accounts/security/")

    assert back.url == f"{live_server.url}/accounts/security/"
    assert User.objects.count() == users_before
    assert SocialAccount.objects.get(provider="saml").user_id == dana.pk
    linked = SecurityEvent.objects.get(user=dana, kind=SecurityEvent.Kind.SSO_LINKED)
    assert linked.detail == NAME
    assert _signed_in(browser, live_server.url)


def test_saml_does_not_link_an_address_outside_the_organisations_domains(
    live_server, from_environment
):
    """The IdP vouches only for stmarys.example addresses: it cannot take over an account at
    another domain by asserting its address."""
    hank = UserFactory(username="hank", email="hank@elsewhere.example")
    EmailAddress.objects.create(user=hank, email=hank.email, verified=True, primary=True)
    users_before = User.objects.count()

    browser, back = sign_in_through_idp(live_server.url, "hank", "/accounts/security/")

    assert urlsplit(back.url).path != "/accounts/security/"
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert not SecurityEvent.objects.filter(user=hank).exists()
    assert not _signed_in(browser, live_server.url)


def _assert_refused(browser, back, base, caplog, reason: str) -> None:
    assert back.status_code == 401, (back.status_code, back.text[:2000])
    assert reason in caplog.text  # python3-saml's reason, logged for the operator
    assert "Sign-in failed" in back.text
    assert "Nobody was signed in" in back.text
    assert not SocialAccount.objects.exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGNED_IN).exists()
    assert not _signed_in(browser, base)


def test_saml_unsigned_response_is_refused(live_server, from_environment, caplog):
    users_before = User.objects.count()

    browser, back = sign_in_through_idp(live_server.url, "mallory", "/accounts/security/")

    _assert_refused(browser, back, live_server.url, caplog, "is not signed")
    assert User.objects.count() == users_before


def test_saml_response_signed_with_another_key_is_refused(live_server, from_environment, caplog):
    browser, back = sign_in_through_idp(live_server.url, "oscar", "/accounts/security/")

    _assert_refused(browser, back, live_server.url, caplog, "Signature validation failed")
    assert not User.objects.filter(email="oscar@stmarys.example").exists()


def test_saml_tampered_response_is_refused(live_server, from_environment, caplog):
    """A signed response whose address was changed on the way no longer matches its signature."""
    dana = UserFactory(username="dana", email="dana@stmarys.example")
    EmailAddress.objects.create(user=dana, email=dana.email, verified=True, primary=True)
    browser, acs, fields = saml_response_for(live_server.url, "pat", "/accounts/security/")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "pat@stmarys.example" in xml
    forged = xml.replace("pat@stmarys.example", "dana@stmarys.example")

    back = browser.post(
        acs,
        data={**fields, "SAMLResponse": base64.b64encode(forged.encode()).decode()},
        timeout=20,
    )

    _assert_refused(browser, back, live_server.url, caplog, "Signature validation failed")


def test_saml_response_nobody_asked_for_is_refused(live_server, from_environment, caplog):
    """A signed response that answers no request (IdP-initiated sign-in) is refused: it could
    be replayed, or sign a victim's browser in to the sender's account."""
    browser, back = sign_in_through_idp(live_server.url, "uma", "/accounts/security/")

    _assert_refused(browser, back, live_server.url, caplog, "IdP initiated SSO rejected")
    assert not User.objects.filter(email="uma@stmarys.example").exists()


def test_saml_replayed_response_is_refused(live_server, from_environment):
    """A response is good for the one sign-in that asked for it, in the browser that asked."""
    browser, acs, fields = saml_response_for(live_server.url, "pat", "/accounts/security/")
    first = browser.post(acs, data=fields, timeout=20)
    assert first.url == f"{live_server.url}/accounts/security/"
    pat = User.objects.get(email="pat@stmarys.example")
    browser.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        headers={"Referer": f"{live_server.url}/accounts/security/"},
        timeout=10,
    )
    signins = SecurityEvent.objects.filter(user=pat, kind=SecurityEvent.Kind.SIGNED_IN).count()

    same_browser = browser.post(acs, data=fields, timeout=20)
    elsewhere = requests.Session()
    other_browser = elsewhere.post(acs, data=fields, timeout=20)

    for session, answer in ((browser, same_browser), (elsewhere, other_browser)):
        # No sign-in in this browser's session waits for it (allauth's PermissionDenied).
        assert answer.status_code == 403, (answer.status_code, answer.text[:2000])
        assert not _signed_in(session, live_server.url)
    assert (
        SecurityEvent.objects.filter(user=pat, kind=SecurityEvent.Kind.SIGNED_IN).count() == signins
    )


def test_saml_metadata_tells_the_idp_where_to_answer(live_server, from_environment):
    metadata = requests.get(f"{live_server.url}/accounts/saml/{SLUG}/metadata/", timeout=10)

    assert metadata.status_code == 200
    assert f'entityID="{live_server.url}/accounts/saml/{SLUG}/metadata/"' in metadata.text
    assert f'Location="{live_server.url}/accounts/saml/{SLUG}/acs/"' in metadata.text
    assert 'WantAssertionsSigned="true"' in metadata.text


@pytest.mark.django_db
def test_saml_login_page_may_post_to_the_idp(client, from_environment):
    login = client.get("/accounts/login/")
    csp = login["Content-Security-Policy"]
    (form_action,) = [d.split()[1:] for d in csp.split(";") if d.split()[:1] == ["form-action"]]
    assert form_action == ["'self'", from_environment.base]


def test_env_saml_apps_reads_the_environment(monkeypatch, tmp_path):
    for name in SAML_ENV:
        monkeypatch.delenv(f"PRACTICA_SAML_{name}", raising=False)
    assert env_saml_apps() == []

    monkeypatch.setenv("PRACTICA_SAML_IDP_ENTITY_ID", "https://idp.stmarys.example/metadata")
    with pytest.raises(ImproperlyConfigured, match="PRACTICA_SAML_IDP_SSO_URL"):
        env_saml_apps()

    body = base64.b64encode(b"x" * 600).decode()
    pem = (
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n-----END CERTIFICATE-----\n"
    )
    monkeypatch.setenv("PRACTICA_SAML_IDP_SSO_URL", "https://idp.stmarys.example/sso")
    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", pem)
    (app,) = env_saml_apps()
    assert app["client_id"] == "saml"
    assert app["settings"]["idp"]["x509cert"] == body
    assert app["settings"]["verified_email"] is False
    assert app["settings"]["advanced"]["want_assertion_signed"] is True
    assert app["settings"]["advanced"]["reject_idp_initiated_sso"] is True

    # The certificate as a file, and on one line with literal \n (as in an .env file).
    (tmp_path / "idp.pem").write_text(pem)
    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", str(tmp_path / "idp.pem"))
    monkeypatch.setenv("PRACTICA_SAML_VERIFIED_EMAIL_DOMAINS", "stmarys.example, @nhs.example")
    (app,) = env_saml_apps()
    assert app["settings"]["idp"]["x509cert"] == body
    assert app["settings"]["verified_email"] == ["stmarys.example", "nhs.example"]
    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", pem.replace("\n", "\\n"))
    assert env_saml_apps()[0]["settings"]["idp"]["x509cert"] == body

    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", "/no/such/file.pem")
    with pytest.raises(ImproperlyConfigured, match="PRACTICA_SAML_IDP_CERT"):
        env_saml_apps()
    monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", pem)
    monkeypatch.setenv("PRACTICA_SAML_ID", "St Mary's")
    with pytest.raises(ImproperlyConfigured, match="PRACTICA_SAML_ID"):
        env_saml_apps()
