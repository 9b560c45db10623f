"""Single sign-on in a real browser: "Sign in with St Mary's staff login" on the login page,
the provider's own login form (tests/accounts/oidc_provider, a real OpenID Connect provider on
loopback), and back on the page the member was going to; screenshots at 375 and 1280 px."""

import pytest
from playwright.sync_api import expect

from tests.accounts.oidc_provider.process import running_provider
from tests.factories import CommunityFactory

pytestmark = pytest.mark.e2e

PROVIDER_ID = "stmarys"
PROVIDER_NAME = "St Mary's staff login"
CLIENT_ID = "practica-e2e"
CLIENT_SECRET = "a-client-secret-for-the-browser-test"
PASSWORD = "provider password 1"


@pytest.fixture
def oidc_settings(live_server, tmp_path, settings):
    with running_provider(
        tmp_path,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"],
        users=[
            {
                "username": "grace",
                "password": PASSWORD,
                "email": "grace@stmarys.example",
                "first_name": "Grace",
                "last_name": "Hopper",
            }
        ],
    ) as issuer:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "APPS": [
                    {
                        "provider_id": PROVIDER_ID,
                        "name": PROVIDER_NAME,
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": issuer, "oauth_pkce_enabled": True},
                    }
                ]
            }
        }
        yield issuer


@pytest.mark.django_db(transaction=True)
def test_member_signs_in_with_the_organisations_provider(live_server, oidc_settings, page, screens):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    base = live_server.url

    # allauth's "continue" page, for links to the provider's sign-in address made elsewhere.
    page.goto(f"{base}/accounts/oidc/{PROVIDER_ID}/login/")
    expect(page.get_by_role("heading", name=f"Sign in with {PROVIDER_NAME}")).to_be_visible()
    screens(page, "sso-00-continue", phone=True)

    page.goto(f"{base}/accounts/login/?next={community.get_absolute_url()}")
    button = page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}")
    expect(button).to_be_visible()
    screens(page, "sso-01-login", phone=True)

    button.click()
    expect(page.get_by_role("heading", name="St Mary's sign-in")).to_be_visible()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{base}{community.get_absolute_url()}")
    expect(page.locator(".site-header")).to_contain_text("grace")
    screens(page, "sso-02-back-on-the-next-page")

    page.goto(f"{base}/accounts/security/")
    expect(page.get_by_role("heading", name="Single sign-on")).to_be_visible()
    expect(page.locator("#sso-heading + p")).to_contain_text(PROVIDER_NAME)
    screens(page, "sso-03-security", phone=True)

    page.get_by_role("link", name="Manage single sign-on").click()
    expect(page.get_by_role("heading", name="Single sign-on")).to_be_visible()
    expect(page.get_by_label(f"{PROVIDER_NAME} (")).to_be_visible()
    screens(page, "sso-04-connections", phone=True)
    # Her only way in: allauth refuses to remove the link until she has a password.
    page.get_by_label(f"{PROVIDER_NAME} (").check()
    page.get_by_role("button", name="Remove the link").click()
    expect(page.locator(".manage-content")).to_contain_text("no password")
    expect(page.get_by_label(f"{PROVIDER_NAME} (")).to_be_visible()
