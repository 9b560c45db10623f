"""Two-factor sign-in (allauth.mfa) in Practica's pages, and the rule that staff accounts work
only with a second factor."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from accounts.models import SecurityEvent
from accounts.selectors import user_has_mfa
from core.models import OutboundEmail
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture(autouse=True)
def one_period_of_tolerance(settings):
    # A code computed just before a 30-second period ends is checked just after it: accept the
    # neighbouring period, as authenticator apps' users get in practice (allauth's setting).
    settings.MFA_TOTP_TOLERANCE = 1


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def sign_in(client, user):
    """Sign in through the login form, as a person does (allauth records the authentication
    and the session, which reauthentication and the sessions page rely on)."""
    return client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})


@pytest.fixture
def member():
    user = UserFactory(username="rosa")
    user.set_password(PASSWORD)
    user.save()
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    return user


def test_activating_an_authenticator_app_then_signing_in_asks_for_its_code(
    client, member, django_capture_on_commit_callbacks, mailoutbox
):
    sign_in(client, member)
    # Changing one's sign-in asks for the password again first (allauth's reauthentication).
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked.status_code == 302 and asked["Location"].startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for typing in, beside the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not user_has_mfa(member)

    # allauth announces the new method, and emails the member, after commit.
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert done.status_code == 302
    member.refresh_from_db()
    assert Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    assert SecurityEvent.objects.filter(
        user=member, kind=SecurityEvent.Kind.MFA_ADDED, detail="Authenticator app"
    ).exists()
    assert OutboundEmail.objects.filter(to=[member.email]).exists()

    client.logout()
    password_step = sign_in(client, member)
    assert password_step.status_code == 302
    assert password_step["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    code_page = client.get(reverse("mfa_authenticate"))
    assert code_page.status_code == 200 and b"csrfmiddlewaretoken" in code_page.content


def test_the_authenticator_apps_code_completes_the_sign_in(client, member):
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    sign_in(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    assert SecurityEvent.objects.filter(user=member, kind=SecurityEvent.Kind.SIGNED_IN).count() == 1


def test_a_wrong_code_at_sign_in_keeps_the_member_out(client, member):
    TOTP.activate(member, generate_totp_secret())
    sign_in(client, member)
    response = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.fixture
def staff():
    user = UserFactory(username="steward", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def staff_rule(settings):
    settings.PRACTICA_REQUIRE_STAFF_MFA = True


@pytest.mark.usefixtures("staff_rule")
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, staff):
    community = CommunityFactory(slug="wound-care")
    client.force_login(staff)
    for url in (reverse("admin:index"), f"/c/{community.slug}/", reverse("communities:directory")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_index")
    # The account pages stay open, or the staff member could never set the factor up.
    setup = client.get(reverse("mfa_index"), follow=True)
    assert setup.status_code == 200
    assert b"Staff accounts need two-factor authentication" in setup.content
    assert client.get(reverse("accounts:security")).status_code == 200


@pytest.mark.usefixtures("staff_rule")
def test_staff_with_an_authenticator_app_reach_the_admin(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.usefixtures("staff_rule")
def test_recovery_codes_alone_are_not_a_second_factor(client, staff):
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00" * 20}
    )
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.usefixtures("staff_rule")
def test_members_who_are_not_staff_are_not_asked(client, member):
    client.force_login(member)
    assert client.get(reverse("communities:directory")).status_code == 200


def test_the_rule_is_off_when_the_setting_is(client, staff, settings):
    settings.PRACTICA_REQUIRE_STAFF_MFA = False
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_two_factor_page_is_in_practicas_layout(client, member):
    sign_in(client, member)
    page = client.get(reverse("mfa_index")).content.decode()
    assert re.search(r'<nav class="tabs account-nav"', page)
    assert 'href="/accounts/security/"' in page
