"""Account flows through django-allauth, with mail going through the outbox and Celery."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from communities.models import Profile
from core.models import OutboundEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new staple 42"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth's rate limits count in the cache; each test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mailing(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the email task) when the block ends, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def link_in(message, pattern: str) -> str:
    match = re.search(rf"https?://testserver(\S*{pattern}\S*)", message.body)
    assert match, f"no link matching {pattern!r} in:\n{message.body}"
    return match.group(1)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def signup(client, **overrides):
    data = {
        "username": "ada",
        "email": "ada@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data)


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_entrance_pages_render_in_practica_layout(client, url_name):
    response = client.get(reverse(url_name))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in html
    assert 'class="entrance-panel"' in html


def test_login_page_fields_have_labels_and_practica_button(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<label for="id_login">Username or email</label>' in html
    # Labels are visible; no grey look-alike values (the header's search box may have one).
    form = next(part for part in html.split("<form")[1:] if 'id="id_login"' in part)
    assert "placeholder=" not in form.split("</form>")[0]
    assert '<label for="id_password">' in html
    assert 'class="button"' in html
    assert reverse("account_reset_password") in html  # the "forgotten your password?" hint


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password"])
def test_manage_pages_show_account_navigation(client, url_name):
    client.force_login(verified_user())
    response = client.get(reverse(url_name))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="Account settings"' in html
    assert f'href="{reverse(url_name)}" aria-current="page"' in html
    assert reverse("communities:profile_edit") in html


def test_logout_page_asks_before_logging_out(client):
    client.force_login(verified_user())
    response = client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert is_logged_in(client)
    client.post(reverse("account_logout"))
    assert not is_logged_in(client)


# --- signing up --------------------------------------------------------------------------------


def test_signup_mandatory_verification_sends_mail_and_confirm_link_logs_in(client, mailing):
    with mailing():
        response = signup(client)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    assert client.get(response.url).status_code == 200

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    confirm_url = link_in(message, "/accounts/confirm-email/")

    # Opening the link only shows a button; the POST confirms (no state change on GET).
    assert client.get(confirm_url).status_code == 200
    assert not EmailAddress.objects.get(email="ada@example.org").verified
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@example.org").verified
    assert is_logged_in(client)


def test_signup_creates_profile(client, mailing):
    with mailing():
        signup(client)
    user = User.objects.get(username="ada")
    assert Profile.objects.filter(user=user).exists()


def test_signup_optional_verification_logs_in_at_once(client, mailing, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    with mailing():
        response = signup(client)
    assert response.status_code == 302
    assert response.url == reverse("communities:directory")
    assert is_logged_in(client)
    # The address is still unverified and a confirmation mail is on its way.
    assert len(mail.outbox) == 1
    assert not EmailAddress.objects.get(email="ada@example.org").verified


def test_signup_error_keeps_typed_values_and_shows_error_next_to_field(client):
    response = signup(client, password2="something else entirely")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="ada"' in html
    assert 'value="ada@example.org"' in html
    assert "field-error" in html
    assert 'class="error-message"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(username="ada").exists()


def test_signup_duplicate_email_is_refused_without_saying_so(client, mailing):
    verified_user(username="first", email="taken@example.org")
    with mailing():
        response = signup(client, email="taken@example.org")
    # ACCOUNT_PREVENT_ENUMERATION: the page looks like success; the owner gets a notice.
    assert response.status_code == 302
    assert not User.objects.filter(username="ada").exists()
    assert [m.to for m in mail.outbox] == [["taken@example.org"]]


# --- logging in --------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["grace", "grace@example.org"])
def test_login_with_username_or_email(client, login):
    verified_user(username="grace", email="grace@example.org")
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("communities:directory")
    assert is_logged_in(client)


def test_login_wrong_password_keeps_login_and_says_so(client):
    verified_user(username="grace")
    response = client.post(reverse("account_login"), {"login": "grace", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert 'value="grace"' in html
    assert 'class="error-summary"' in html


def test_login_unverified_email_mandatory_sends_verification_instead(client, mailing):
    UserFactory(username="grace", email="grace@example.org")
    with mailing():
        response = client.post(reverse("account_login"), {"login": "grace", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    assert [m.to for m in mail.outbox] == [["grace@example.org"]]


def test_login_unverified_email_optional_logs_in(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    UserFactory(username="grace", email="grace@example.org")
    response = client.post(reverse("account_login"), {"login": "grace", "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)


# --- passwords ---------------------------------------------------------------------------------


def test_password_reset_mail_and_reset_from_key(client, mailing):
    user = verified_user(username="grace", email="grace@example.org")
    with mailing():
        response = client.post(reverse("account_reset_password"), {"email": "grace@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    reset_url = link_in(mail.outbox[0], "/accounts/password/reset/key/")

    # The key moves from the URL into the session, then the form sets the new password.
    response = client.get(reset_url)
    assert response.status_code == 302
    form_url = response.url
    response = client.get(form_url)
    assert response.status_code == 200
    assert 'class="entrance-panel"' in response.content.decode()
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_from_bad_key_says_so(client):
    response = client.get("/accounts/password/reset/key/1-not-a-real-key/")
    assert response.status_code == 200
    assert "invalid" in response.content.decode().lower()


def test_password_reset_unknown_email_sends_notice_without_revealing(client, mailing):
    with mailing():
        response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")


def test_password_change(client):
    user = verified_user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert is_logged_in(client)


def test_password_change_wrong_old_password_shows_error_at_field(client):
    user = verified_user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-message" id="id_oldpassword_error"' in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- email addresses ---------------------------------------------------------------------------


def test_email_add_sends_verification(client, mailing):
    user = verified_user()
    client.force_login(user)
    with mailing():
        response = client.post(
            reverse("account_email"), {"email": "second@example.org", "action_add": ""}
        )
    assert response.status_code == 302
    added = EmailAddress.objects.get(user=user, email="second@example.org")
    assert not added.verified
    assert not added.primary
    assert [m.to for m in mail.outbox] == [["second@example.org"]]
    html = client.get(reverse("account_email")).content.decode()
    assert "second@example.org" in html
    assert "Unverified" in html


def test_email_add_invalid_keeps_value_and_shows_error(client):
    client.force_login(verified_user())
    response = client.post(reverse("account_email"), {"email": "not-an-email", "action_add": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="not-an-email"' in html
    assert 'class="error-message"' in html


def test_email_page_has_no_inline_script(client):
    client.force_login(verified_user())
    html = client.get(reverse("account_email")).content.decode()
    assert "<script" not in html
