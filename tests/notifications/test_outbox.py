"""Notification email is written to the outbox in the content's transaction (issue #9, item 5):
a lost enqueue is sent by the outbox flush, a rollback leaves nothing, nothing is sent twice."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import email as email_service
from core.models import OutboundEmail
from core.tasks import MAX_EMAIL_ATTEMPTS, send_email_task
from notifications import digests
from notifications import email as notification_email
from notifications.email import Delivery
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from tests.plugins.services import free_port
from tests.practice.factories import ask, member_of

pytestmark = pytest.mark.django_db(transaction=True)  # real commits, so the hooks really run

Kind = Notification.Kind
User = get_user_model()


def flush_later() -> int:
    """Run the outbox flush as it runs once the retry delay has passed."""
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(hours=1))
    return email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS)


def test_mention_email_commits_with_the_post_and_the_flush_sends_it_when_the_broker_is_down(
    open_community, celery_broker
):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):  # every enqueue fails
        ask(open_community, asker, title="Foam or gauze?", body="@bea what do you use?")

    outbound = OutboundEmail.objects.get()
    assert outbound.to == [bea.email]
    assert outbound.status == OutboundEmail.Status.PENDING
    assert "mentioned you" in outbound.subject and "Foam or gauze?" in outbound.subject
    assert outbound.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get(recipient=bea).emailed_at is not None
    assert mail.outbox == []

    assert flush_later() == 1
    [message] = mail.outbox
    assert message.to == [bea.email]
    assert message.extra_headers["List-Unsubscribe"] == outbound.headers["List-Unsubscribe"]
    # The task arriving late, the catch-up and the digest send nothing more.
    send_email_task.apply(kwargs={"email_id": outbound.pk})
    later = timezone.now() + timedelta(hours=1)
    assert notification_email.pending_emails_send(delivery=Delivery.IMMEDIATE, now=later) == 0
    assert digests.daily_digests_send() == 0
    assert len(mail.outbox) == 1


def test_notification_email_rolled_back_with_its_content_leaves_no_row(open_community):
    asker = member_of(open_community)
    member_of(open_community, username="bea")

    with pytest.raises(RuntimeError), transaction.atomic():
        ask(open_community, asker, body="@bea?")
        assert OutboundEmail.objects.count() == 1  # written with the post, not after it
        raise RuntimeError("the post is rolled back")

    assert not OutboundEmail.objects.exists()
    assert not Notification.objects.exists()
    assert flush_later() == 0
    assert mail.outbox == []


def test_notification_email_sent_once_when_the_task_and_the_flush_both_run(open_community):
    asker, bea = member_of(open_community), member_of(open_community, username="bea")

    ask(open_community, asker, body="@bea?")  # eager: the send task ran after the commit

    assert [m.to for m in mail.outbox] == [[bea.email]]
    assert flush_later() == 0
    send_email_task.apply(kwargs={"email_id": OutboundEmail.objects.get().pk})
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_notification_email_follows_each_members_choice(open_community):
    asker = member_of(open_community)
    now_, daily, never = (member_of(open_community, username=n) for n in ("now", "daily", "never"))
    for member, delivery in ((now_, "immediate"), (daily, "daily"), (never, "never")):
        NotificationPreference.objects.create(user=member, kind=Kind.MENTION, delivery=delivery)

    ask(open_community, asker, body="@now @daily @never: foam or gauze?")

    assert [o.to for o in OutboundEmail.objects.all()] == [[now_.email]]
    emailed = dict(Notification.objects.values_list("recipient__username", "emailed_at"))
    assert emailed["now"] is not None
    assert emailed["daily"] is None and emailed["never"] is None
    assert digests.daily_digests_send() == 1  # the daily one goes in the digest


def test_notification_emails_cost_the_same_queries_for_many_recipients(open_community):
    asker = member_of(open_community)
    few = [member_of(open_community).pk for _ in range(2)]
    many = [member_of(open_community).pk for _ in range(12)]

    def queries_to_notify(recipient_ids) -> int:
        # Counted inside the transaction: the sends after commit are one task per email.
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            notify(
                recipient_ids=recipient_ids,
                kind=Kind.MENTION,
                community=open_community,
                actor=asker,
                text="asker mentioned you",
                url="/somewhere/",
            )
        return len(ctx.captured_queries)

    assert queries_to_notify(few) == queries_to_notify(many)
    assert OutboundEmail.objects.count() == 14


def test_many_notification_emails_stop_enqueueing_at_the_first_broker_failure(open_community):
    """With the broker down each try waits for its timeout; the flush sends the rest."""
    asker = member_of(open_community)
    recipients = [member_of(open_community).pk for _ in range(5)]

    with mock.patch.object(send_email_task, "apply_async", side_effect=OSError) as apply_async:
        notify(
            recipient_ids=recipients,
            kind=Kind.MENTION,
            community=open_community,
            actor=asker,
            text="asker mentioned you",
            url="/somewhere/",
        )

    assert apply_async.call_count == 1
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).count() == 5
    assert flush_later() == 5
    emails = User.objects.filter(pk__in=recipients).values_list("email", flat=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(emails)
