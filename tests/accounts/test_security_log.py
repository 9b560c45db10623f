"""The member's security page: what happened to their sign-in, where they are signed in, and
the notices emailed for sensitive changes."""

import pytest
from allauth.usersessions.models import UserSession
from django.urls import reverse

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from core.models import OutboundEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-passphrase-42"
Kind = SecurityEvent.Kind


@pytest.fixture
def member():
    user = UserFactory(username="rosa", email="rosa@example.org")
    user.set_password(PASSWORD)
    user.save()
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    return user


def sign_in(client, user, agent="Firefox on a ward PC"):
    return client.post(
        reverse("account_login"),
        {"login": user.username, "password": PASSWORD},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR="203.0.113.7",
    )


def test_a_sign_in_is_logged_with_address_and_browser(client, member):
    sign_in(client, member)
    event = SecurityEvent.objects.get(user=member)
    assert (event.kind, event.ip, event.user_agent) == (
        Kind.SIGNED_IN,
        "203.0.113.7",
        "Firefox on a ward PC",
    )
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Signed in" in page and "203.0.113.7" in page and "Firefox on a ward PC" in page


def test_a_password_change_is_logged_and_emailed(client, member, mailoutbox):
    sign_in(client, member)
    new = "another-long-passphrase-77"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert SecurityEvent.objects.filter(user=member, kind=Kind.PASSWORD_CHANGED).exists()
    notice = OutboundEmail.objects.get(to=[member.email])
    assert "password" in (notice.subject + notice.body).lower()


def test_a_token_created_is_emailed_by_us(member):
    security_event_record(user=member, kind=Kind.TOKEN_CREATED, detail="reports script")
    notice = OutboundEmail.objects.get(to=[member.email])
    assert "API token created" in notice.subject
    assert "reports script" in notice.body and "/accounts/security/" in notice.body


def test_the_page_shows_only_the_members_own_events_in_a_constant_number_of_queries(
    client, member, django_assert_max_num_queries
):
    other = UserFactory(username="other")
    security_event_record(user=other, kind=Kind.PASSWORD_CHANGED, detail="OTHER-CANARY")
    client.force_login(member)
    for n in range(30):
        security_event_record(user=member, kind=Kind.EMAIL_ADDED, detail=f"a{n}@example.org")
    # 7: session, user, events, second factor, notices badge, single sign-on apps and links.
    with django_assert_max_num_queries(7):
        page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "OTHER-CANARY" not in text and "a29@example.org" in text


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_sessions_page_lists_each_sign_in_and_signs_out_the_others(client, member):
    sign_in(client, member, agent="Phone browser")
    laptop = client.__class__()
    sign_in(laptop, member, agent="Laptop browser")
    assert UserSession.objects.filter(user=member).count() == 2
    page = client.get(reverse("usersessions_list")).content.decode()
    assert "Phone browser" in page and "Laptop browser" in page
    response = client.post(reverse("usersessions_list"))
    assert response.status_code == 302
    # The laptop's session is gone: its next page is a visitor's.
    assert (
        "_auth_user_id" not in laptop.session
        or laptop.get(reverse("accounts:security")).status_code == 302
    )
    assert client.get(reverse("accounts:security")).status_code == 200


def test_api_tokens_created_and_revoked_are_logged_and_the_creation_emailed(client, member):
    client.force_login(member)
    page = client.post(
        reverse("api:tokens"), {"name": "reports script", "scopes": ["read"], "expires_at": ""}
    )
    assert page.status_code == 200
    created = SecurityEvent.objects.get(user=member, kind=Kind.TOKEN_CREATED)
    assert created.detail.startswith("reports script")
    assert OutboundEmail.objects.filter(to=[member.email], subject__contains="API token").exists()
    token = member.access_tokens.get()
    client.post(reverse("api:token_revoke", args=[token.pk]))
    assert SecurityEvent.objects.filter(user=member, kind=Kind.TOKEN_REVOKED).count() == 1
    # The account settings lead to the tokens page.
    assert reverse("api:tokens") in client.get(reverse("accounts:security")).content.decode()
