"""Digests: the daily email of notifications and the weekly community digest."""

from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities import services as community_services
from config.celery import app
from notifications import digests
from notifications import email as notification_email
from notifications.email import Delivery
from notifications.models import DigestSubscription, Notification, NotificationPreference
from practice.models import Thread
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def prefer(user, kind, delivery):
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": delivery}
    )


def age(thread, days: float) -> None:
    Thread.objects.filter(pk=thread.pk).update(
        created_at=timezone.now() - timedelta(days=days),
        last_activity_at=timezone.now() - timedelta(days=days),
    )


# --- daily -------------------------------------------------------------------------------------


def test_daily_digest_sends_the_days_notices_once(open_community, committed):
    asker, helper, other = (member_of(open_community) for _ in range(3))
    thread = ask(open_community, asker, title="Foam or gauze?")
    answer(thread, helper, body="Foam.")
    answer(thread, other, body="Gauze.")
    with committed():
        assert digests.daily_digests_send() == 2  # the asker, and the helper (following now)
        assert digests.daily_digests_send() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([asker.email, helper.email])
    message = next(m for m in mail.outbox if m.to == [asker.email])
    assert "2 notifications" in message.subject
    assert f"{helper.username} answered" in message.body
    assert f"{other.username} answered" in message.body
    assert open_community.name in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(recipient=asker, emailed_at__isnull=True).exists()


def test_daily_digest_follows_each_kinds_choice(open_community, committed):
    asker, helper = member_of(open_community), member_of(open_community, username="helper")
    prefer(helper, Kind.MENTION, Delivery.DAILY)
    prefer(asker, Kind.REPLY, Delivery.NEVER)
    thread = ask(open_community, asker, body="@helper?")
    answer(thread, helper)
    with committed():
        digests.daily_digests_send()
    assert [m.to for m in mail.outbox] == [[helper.email]]
    assert "mentioned you" in mail.outbox[0].body


def test_daily_digest_unsubscribe_stops_the_kinds_in_it(client, open_community, committed):
    asker, helper = member_of(open_community), member_of(open_community)
    answer(ask(open_community, asker), helper)
    with committed():
        digests.daily_digests_send()
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    response = client.post("/" + link.split("/", 3)[3])
    assert response.status_code == 200
    assert notification_email.delivery_for(user_ids=[asker.pk], kind=Kind.REPLY) == {
        asker.pk: Delivery.NEVER
    }


def test_daily_digest_skips_old_notices(open_community, committed):
    asker, helper = member_of(open_community), member_of(open_community)
    answer(ask(open_community, asker), helper)
    Notification.objects.update(created_at=timezone.now() - timedelta(days=5))
    with committed():
        assert digests.daily_digests_send() == 0
    assert mail.outbox == []


def test_daily_digest_skips_private_community_notices_after_leaving(private_community, committed):
    asker, helper = member_of(private_community), member_of(private_community)
    answer(ask(private_community, asker), helper)
    community_services.membership_leave(community=private_community, user=asker)
    with committed():
        assert digests.daily_digests_send() == 0
    assert mail.outbox == []


# --- weekly ------------------------------------------------------------------------------------


@pytest.fixture
def subscriber(open_community):
    member = member_of(open_community)
    notification_email.digest_subscribe(user=member, community=open_community)
    return member


def test_weekly_digest_lists_new_threads_and_unanswered_questions(
    open_community, subscriber, committed
):
    author = member_of(open_community)
    waiting = ask(open_community, author, title="Nobody answered me yet")
    answered = ask(open_community, author, title="Already answered")
    answer(answered, member_of(open_community))
    from tests.practice.factories import discuss

    discuss(open_community, author, title="Night shifts chat")
    old = ask(open_community, author, title="An old question")
    age(old, 10)
    hidden = ask(open_community, author, title="A hidden one")
    Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
    with committed():
        assert digests.weekly_digests_send() == 1
    message = mail.outbox[0]
    assert message.to == [subscriber.email]
    assert open_community.name in message.subject
    body = message.body
    new_part, unanswered_part = body.split("Questions waiting for an answer")
    assert "Nobody answered me yet" in new_part and "Night shifts chat" in new_part
    assert "Already answered" in new_part
    assert "Nobody answered me yet" in unanswered_part
    assert "Already answered" not in unanswered_part
    assert "An old question" not in body and "A hidden one" not in body
    assert waiting.get_absolute_url() in body
    assert message.extra_headers["List-Unsubscribe"].startswith("<")


def test_weekly_digest_is_sent_once_per_week(open_community, subscriber, committed):
    ask(open_community, member_of(open_community))
    now = timezone.now()
    with committed():
        assert digests.weekly_digests_send(now=now) == 1
        assert digests.weekly_digests_send(now=now + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 1
    subscription = DigestSubscription.objects.get()
    assert subscription.last_sent_at == now
    # The next week sends again (a new thread arrived meanwhile).
    ask(open_community, member_of(open_community), title="Next week's question")
    with committed():
        assert digests.weekly_digests_send(now=now + timedelta(days=7)) == 1
    assert len(mail.outbox) == 2


def test_weekly_digest_empty_is_not_sent(open_community, subscriber, committed):
    age(ask(open_community, member_of(open_community)), 9)
    with committed():
        assert digests.weekly_digests_send() == 0
    assert mail.outbox == []
    assert DigestSubscription.objects.get().last_sent_at is None


def test_weekly_digest_stops_when_member_leaves_private_community(private_community, committed):
    member = member_of(private_community)
    notification_email.digest_subscribe(user=member, community=private_community)
    ask(private_community, member_of(private_community), title="Members only")
    community_services.membership_leave(community=private_community, user=member)
    with committed():
        assert digests.weekly_digests_send() == 0
    assert mail.outbox == []


def test_weekly_digest_subscribe_refuses_non_members(open_community, private_community, user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        notification_email.digest_subscribe(user=user, community=private_community)
    with pytest.raises(PermissionDenied):
        notification_email.digest_subscribe(user=user, community=open_community)
    assert not DigestSubscription.objects.exists()


def test_weekly_digest_moderator_does_not_get_hidden_threads(open_community, committed):
    moderator = moderator_of(open_community)
    notification_email.digest_subscribe(user=moderator, community=open_community)
    hidden = ask(open_community, member_of(open_community), title="Spam thread")
    Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
    ask(open_community, member_of(open_community), title="Real thread")
    with committed():
        digests.weekly_digests_send()
    assert "Spam thread" not in mail.outbox[0].body
    assert "Real thread" in mail.outbox[0].body


def test_weekly_digest_section_shows_more_beyond_limit(open_community, subscriber, committed):
    author = member_of(open_community)
    for i in range(digests.SECTION_LIMIT + 3):
        ask(open_community, author, title=f"Question {i}")
    with committed():
        digests.weekly_digests_send()
    assert "…and 3 more" in mail.outbox[0].body


def test_weekly_digest_query_count_is_constant(open_community, subscriber):
    author = member_of(open_community)
    counts = []
    for n in (5, 40):
        for i in range(n):
            ask(open_community, author, title=f"Q{n}-{i}")
        DigestSubscription.objects.update(last_sent_at=None)
        with CaptureQueriesContext(connection) as ctx:
            assert digests.weekly_digests_send() == 1
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_week_start_is_monday_midnight():
    wednesday = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    assert digests.week_start(wednesday) == datetime(2026, 11, 23, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert digests.week_start(monday) == monday


# --- tasks and schedules -----------------------------------------------------------------------


def test_digest_tasks_are_registered_and_scheduled():
    for name in (
        "practice.send_notification_emails",
        "practice.send_missed_notification_emails",
        "practice.send_daily_digests",
        "practice.send_weekly_digests",
    ):
        assert name in app.tasks
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    daily, weekly = (
        schedule["practice.send_daily_digests"],
        schedule["practice.send_weekly_digests"],
    )
    assert isinstance(daily, crontab) and isinstance(weekly, crontab)
    assert daily.hour == {settings.PRACTICA_DIGEST_HOUR}
    assert weekly.day_of_week == {1}  # Monday


def test_digest_tasks_run_their_services(open_community, subscriber, committed):
    from notifications.tasks import send_daily_digests_task, send_weekly_digests_task

    asker, helper = member_of(open_community), member_of(open_community)
    answer(ask(open_community, asker), helper)
    with committed():
        assert send_daily_digests_task.apply().get() == 1
        assert send_weekly_digests_task.apply().get() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([asker.email, subscriber.email])
