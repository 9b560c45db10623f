"""SAML sign-in in a real browser: "Sign in with …" on the login page posts to Practica, which
redirects to the IdP (the sign-in pages' CSP form-action must allow it, and only a browser
applies it to that redirect), the IdP's own login form (tests/accounts/saml_idp, pysaml2 on
loopback), its page posting the signed response back by script, and the page the member was
going to; screenshots at 375 and 1280 px."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from config.env import env_saml_apps
from tests.accounts.saml_idp.process import running_idp
from tests.factories import CommunityFactory

pytestmark = [pytest.mark.e2e, pytest.mark.xmlsec1]

SLUG = "stmarys"
NAME = "St Mary's staff login"
PASSWORD = "idp password 1"


@pytest.fixture
def saml_settings(live_server, tmp_path, settings, monkeypatch):
    with running_idp(
        tmp_path,
        sp_metadata_url=f"{live_server.url}/accounts/saml/{SLUG}/metadata/",
        users=[
            {
                "username": "grace",
                "password": PASSWORD,
                "email": "grace@stmarys.example",
                "first_name": "Grace",
                "last_name": "Hopper",
            }
        ],
    ) as idp:
        monkeypatch.setenv("PRACTICA_SAML_ID", SLUG)
        monkeypatch.setenv("PRACTICA_SAML_NAME", NAME)
        monkeypatch.setenv("PRACTICA_SAML_IDP_ENTITY_ID", idp.entity_id)
        monkeypatch.setenv("PRACTICA_SAML_IDP_SSO_URL", idp.sso_url)
        monkeypatch.setenv("PRACTICA_SAML_IDP_CERT", idp.certificate)
        monkeypatch.setenv("PRACTICA_SAML_VERIFIED_EMAIL_DOMAINS", "stmarys.example")
        settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": env_saml_apps()}}
        yield idp


@pytest.mark.django_db(transaction=True)
def test_member_signs_in_with_the_organisations_saml_idp(live_server, saml_settings, page, screens):
    community = CommunityFactory(name="Wound care nurses", slug="wound-care", visibility="open")
    base = live_server.url

    page.goto(f"{base}/accounts/login/?next={community.get_absolute_url()}")
    button = page.get_by_role("button", name=f"Sign in with {NAME}")
    expect(button).to_be_visible()
    screens(page, "saml-01-login", phone=True)

    button.click()
    expect(page.get_by_role("heading", name="Hospital sign-in")).to_be_visible()
    assert page.url.startswith(f"{saml_settings.sso_url}?SAMLRequest=")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{base}{community.get_absolute_url()}")
    expect(page.locator(".site-header")).to_contain_text("Log out")
    screens(page, "saml-02-back-on-the-next-page")
    grace = get_user_model().objects.get(email="grace@stmarys.example")
    assert grace.socialaccount_set.get().provider == "saml"

    page.goto(f"{base}/accounts/security/")
    expect(page.locator("#sso-heading + p")).to_contain_text(NAME)
