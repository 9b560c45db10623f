"""Notification email: each member's choice per kind, the Celery task, unsubscribe links, and the
settings page."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from core.models import OutboundEmail
from notifications import digests
from notifications import email as notification_email
from notifications.email import Delivery, unsubscribe_token
from notifications.models import DigestSubscription, Notification, NotificationPreference
from notifications.services import immediate_emails_held, notify
from notifications.tasks import send_notification_emails_task
from tests.factories import UserFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
SETTINGS_URL = reverse("notifications:notification_settings")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the after-commit callbacks (tasks are eager in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def prefer(user, kind, delivery):
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": delivery}
    )


def unsubscribe_link(message) -> str:
    match = re.search(r"https?://\S+/notifications/unsubscribe/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# --- immediate emails --------------------------------------------------------------------------


def test_mention_is_emailed_at_once_with_unsubscribe_headers(open_community, committed):
    asker = member_of(open_community)
    bea = member_of(open_community, username="bea")
    with committed():
        ask(open_community, asker, title="Foam or gauze?", body="@bea what do you use?")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [bea.email]
    assert "mentioned you" in message.subject and "Foam or gauze?" in message.subject
    note = Notification.objects.get(recipient=bea)
    assert reverse("notifications:notification_open", args=[note.pk]) in message.body
    link = unsubscribe_link(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()
    assert OutboundEmail.objects.get().headers["List-Unsubscribe"] == f"<{link}>"
    assert note.emailed_at is not None


def test_mention_with_immediate_emails_held_is_noticed_but_not_emailed(open_community, committed):
    asker = member_of(open_community)
    bea = member_of(open_community, username="bea")
    with committed(), immediate_emails_held():
        ask(open_community, asker, title="Foam or gauze?", body="@bea what do you use?")
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()
    assert Notification.objects.get(recipient=bea).emailed_at is None


def test_reply_defaults_to_daily_digest_not_immediate(open_community, committed):
    asker, helper = member_of(open_community), member_of(open_community)
    with committed():
        thread = ask(open_community, asker)
        answer(thread, helper)
    assert mail.outbox == []
    assert Notification.objects.get(recipient=asker, kind=Kind.REPLY).emailed_at is None


def test_preference_immediate_for_replies_is_respected(open_community, committed):
    asker, helper = member_of(open_community), member_of(open_community)
    prefer(asker, Kind.REPLY, Delivery.IMMEDIATE)
    thread = ask(open_community, asker)
    with committed():
        answer(thread, helper, body="Foam.")
    assert [m.to for m in mail.outbox] == [[asker.email]]
    assert "answered" in mail.outbox[0].subject


def test_preference_never_sends_nothing_now_or_in_the_digest(open_community, committed):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")
    prefer(bea, Kind.MENTION, Delivery.NEVER)
    with committed():
        ask(open_community, asker, body="@bea?")
    with committed():
        digests.daily_digests_send()
    assert mail.outbox == []
    assert Notification.objects.get(recipient=bea).emailed_at is None  # still in the app


def test_send_notification_emails_task_delivered_twice_sends_once(open_community, committed):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")
    prefer(bea, Kind.MENTION, Delivery.NEVER)
    ask(open_community, asker, body="@bea?")  # not emailed when it was made
    prefer(bea, Kind.MENTION, Delivery.IMMEDIATE)
    note = Notification.objects.get(recipient=bea)
    kwargs = {"kind": Kind.MENTION, "user_ids": [bea.pk], "created_at": note.created_at.isoformat()}
    with committed():
        assert send_notification_emails_task.apply(kwargs=kwargs).get() == 1
        assert send_notification_emails_task.apply(kwargs=kwargs).get() == 0
    assert len(mail.outbox) == 1


def test_email_task_skips_private_community_notice_after_member_left(private_community, committed):
    asker, bea = member_of(private_community), member_of(private_community, username="bea")
    prefer(bea, Kind.MENTION, Delivery.NEVER)
    ask(private_community, asker, body="@bea?")  # not emailed when it was made
    community_services.membership_leave(community=private_community, user=bea)
    prefer(bea, Kind.MENTION, Delivery.IMMEDIATE)
    note = Notification.objects.get(recipient=bea)
    with committed():
        send_notification_emails_task.apply(
            kwargs={
                "kind": Kind.MENTION,
                "user_ids": [bea.pk],
                "created_at": note.created_at.isoformat(),
            }
        )
        digests.daily_digests_send()
        notification_email.pending_emails_send(
            delivery=Delivery.IMMEDIATE, now=timezone.now() + timedelta(minutes=20)
        )
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.emailed_at is None


def test_email_skips_inactive_users(open_community, committed):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")
    bea.is_active = False
    bea.save(update_fields=["is_active"])
    with committed():
        ask(open_community, asker, body="@bea?")
    assert mail.outbox == []


def test_missed_immediate_emails_are_caught_up_once(open_community, committed):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")
    prefer(bea, Kind.MENTION, Delivery.DAILY)
    ask(open_community, asker, body="@bea?")
    prefer(bea, Kind.MENTION, Delivery.IMMEDIATE)  # before the digest went out
    later = timezone.now() + timedelta(minutes=11)
    with committed():
        assert (
            notification_email.pending_emails_send(
                delivery=Delivery.IMMEDIATE, now=timezone.now(), settle=timedelta(minutes=10)
            )
            == 0
        )  # too fresh: left for a while
        sent = [
            notification_email.pending_emails_send(
                delivery=Delivery.IMMEDIATE, now=later, settle=timedelta(minutes=10)
            )
            for _ in range(2)
        ]
    assert sent == [1, 0]
    assert [m.to for m in mail.outbox] == [[bea.email]]


def test_membership_kind_is_never_scheduled_here(open_community, committed):
    member = member_of(open_community)
    with committed():
        notify(
            recipient_ids=[member.pk],
            kind=Kind.MEMBERSHIP,
            community=open_community,
            text="Your request was approved",
            url="/",
        )
    assert mail.outbox == [] and not OutboundEmail.objects.exists()
    assert Kind.MEMBERSHIP not in notification_email.EMAIL_KINDS


# --- unsubscribe -------------------------------------------------------------------------------


@pytest.fixture
def mention_email(open_community, committed):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")
    with committed():
        ask(open_community, asker, body="@bea?")
    return bea, mail.outbox[0]


def test_unsubscribe_get_asks_without_login_then_post_stops_the_kind(mention_email):
    bea, message = mention_email
    client = Client(enforce_csrf_checks=True)
    url = path_of(unsubscribe_link(message))
    page = client.get(url)
    assert page.status_code == 200
    assert "Someone mentioned me" in page.content.decode()
    assert f'action="{url}"' in page.content.decode()
    assert not NotificationPreference.objects.filter(user=bea).exists()  # GET changes nothing
    done = client.post(url)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert NotificationPreference.objects.get(user=bea, kind=Kind.MENTION).delivery == "never"
    assert client.post(url).status_code == 200  # twice is harmless


def test_unsubscribe_one_click_post_rfc8058(mention_email):
    bea, message = mention_email
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(message.extra_headers["List-Unsubscribe"].strip("<>")),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=bea, kind=Kind.MENTION).delivery == "never"


def test_unsubscribe_weekly_digest_token_removes_subscription(open_community):
    member = member_of(open_community)
    DigestSubscription.objects.create(user=member, community=open_community)
    token = unsubscribe_token(user_id=member.pk, community_id=open_community.pk)
    url = reverse("notifications:unsubscribe", args=[token])
    assert open_community.name in Client().get(url).content.decode()
    assert Client().post(url).status_code == 200
    assert not DigestSubscription.objects.exists()


def _tampered(token: str) -> str:
    head, sig = token.rsplit(":", 1)
    return f"{head}:{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda u: "abc",
        lambda u: _tampered(unsubscribe_token(user_id=u.pk, kinds=["mention"])),
        lambda u: signing.dumps({"u": u.pk, "k": ["mention"]}, salt="practice.events.feed"),
        lambda u: signing.dumps({"u": u.pk, "k": ["mention"]}),
        lambda u: unsubscribe_token(user_id=u.pk, kinds=["membership", "bogus"]),
        lambda u: unsubscribe_token(user_id=987654321, kinds=["mention"]),
        lambda u: unsubscribe_token(user_id=u.pk, community_id=987654321),
        lambda u: signing.dumps(["not", "a", "dict"], salt=notification_email.UNSUBSCRIBE_SALT),
        lambda u: signing.dumps({"u": "x"}, salt=notification_email.UNSUBSCRIBE_SALT),
        lambda u: "x" * 5000,
    ],
)
def test_unsubscribe_rejects_bad_tokens_with_400(user, make_token):
    client = Client(raise_request_exception=False)
    url = reverse("notifications:unsubscribe", args=[make_token(user)])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_csrf_still_guards_the_settings_form(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(SETTINGS_URL, {"kind_mention": "never"})
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


# --- the settings page -------------------------------------------------------------------------


def _settings_data(**overrides) -> dict:
    data = {
        f"kind_{k}": notification_email.DEFAULT_DELIVERY[k] for k in notification_email.EMAIL_KINDS
    }
    data.update(overrides)
    return data


def test_settings_page_requires_login(client):
    response = client.get(SETTINGS_URL)
    assert response.status_code == 302


def test_settings_page_shows_defaults_and_member_communities_only(
    client, open_community, private_community
):
    member = member_of(open_community)
    client.force_login(member)
    response = client.get(SETTINGS_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="kind_reply" value="daily" id="id_kind_reply_1" required checked' in html
    assert 'name="kind_mention" value="immediate"' in html
    assert "kind_membership" not in html
    assert open_community.name in html
    assert private_community.name not in html


def test_settings_page_saves_choices_and_digests(client, open_community):
    member = member_of(open_community)
    client.force_login(member)
    response = client.post(
        SETTINGS_URL,
        _settings_data(
            kind_reply="never", kind_new_thread="immediate", digests=[open_community.pk]
        ),
    )
    assert response.status_code == 302
    assert notification_email.delivery_for(user_ids=[member.pk], kind="reply") == {
        member.pk: "never"
    }
    assert notification_email.delivery_for(user_ids=[member.pk], kind="new_thread") == {
        member.pk: "immediate"
    }
    assert DigestSubscription.objects.filter(user=member, community=open_community).exists()
    # Unticking removes the subscription.
    client.post(SETTINGS_URL, _settings_data())
    assert not DigestSubscription.objects.exists()


def test_settings_page_bad_input_shows_errors_and_keeps_choices(client, open_community):
    member = member_of(open_community)
    client.force_login(member)
    response = client.post(
        SETTINGS_URL,
        _settings_data(kind_reply="sometimes", kind_mention="never", digests=["abc"]),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-message" in html
    assert 'name="kind_mention" value="never" id="id_kind_mention_2" required checked' in html
    assert not NotificationPreference.objects.exists()


def test_settings_page_refuses_digest_of_a_community_not_joined(
    client, open_community, private_community
):
    member = member_of(open_community)
    client.force_login(member)
    response = client.post(SETTINGS_URL, _settings_data(digests=[private_community.pk]))
    assert response.status_code == 200
    assert not DigestSubscription.objects.exists()
    assert private_community.name not in response.content.decode()


def test_settings_page_lists_and_unfollows_followed_communities(client, open_community):
    from practice.services import follows

    member = member_of(open_community)
    follows.community_follow(user=member, community=open_community)
    client.force_login(member)
    html = client.get(SETTINGS_URL).content.decode()
    assert reverse("practice:community_follow", args=[open_community.slug]) in html
    response = client.post(
        reverse("practice:community_follow", args=[open_community.slug]),
        {"follow": "0", "next": SETTINGS_URL},
    )
    assert response["Location"] == SETTINGS_URL
    assert "You follow no community" in client.get(SETTINGS_URL).content.decode()


def test_unsubscribe_user_deleted_token_is_400(user):
    token = unsubscribe_token(user_id=user.pk, kinds=["mention"])
    UserFactory()  # another user exists; the token's does not after deletion
    user.delete()
    response = Client().get(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
