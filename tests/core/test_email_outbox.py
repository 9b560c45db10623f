"""The email outbox: written in the caller's transaction, sent once, caught up, retried."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from communities import services
from communities.models import Membership
from core import email as email_service
from core.models import OutboundEmail
from core.tasks import MAX_EMAIL_ATTEMPTS, flush_email_outbox_task, send_email_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FAILING_BACKEND = "tests.core.test_email_outbox.FailingSMTPBackend"


class FailingSMTPBackend(BaseEmailBackend):
    """An email backend whose SMTP server always refuses the message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def queue_email(subject="Hello", to=("ada@example.org",)) -> OutboundEmail:
    message = EmailMessage(subject=subject, body="Body", to=list(to))
    return email_service.email_queue(message=message)


def age(outbound: OutboundEmail, seconds: int) -> None:
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_membership_request_emails_moderators_after_commit(
    request_community, moderator_of, django_capture_on_commit_callbacks
):
    first, second = moderator_of(request_community), moderator_of(request_community)
    applicant = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.membership_request(community=request_community, user=applicant, message="Hi")
        # Written with the membership, sent only once the transaction commits.
        outbound = OutboundEmail.objects.get()
        assert outbound.status == OutboundEmail.Status.PENDING
        assert mail.outbox == []

    # Sent by an after-commit callback, once (the webhooks add a callback of their own: is any
    # endpoint interested in what this transaction changed?).
    assert callbacks
    outbound.refresh_from_db()
    assert sorted(outbound.to) == sorted([first.email, second.email])
    assert outbound.status == OutboundEmail.Status.SENT
    assert outbound.attempts == 1
    assert outbound.sent_at is not None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([first.email, second.email])
    assert applicant.username in mail.outbox[0].subject
    assert request_community.name in mail.outbox[0].subject


def test_membership_request_outbox_row_rolls_back_with_the_membership(
    request_community, moderator_of, django_capture_on_commit_callbacks
):
    moderator_of(request_community)
    applicant = UserFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.membership_request(community=request_community, user=applicant)
        raise RuntimeError("the request fails after the service ran")

    assert callbacks == []
    assert not Membership.objects.filter(user=applicant).exists()
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_send_email_task_delivered_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        outbound = queue_email()

    send_email_task.apply(kwargs={"email_id": outbound.pk})
    send_email_task.apply(kwargs={"email_id": outbound.pk})

    outbound.refresh_from_db()
    assert len(mail.outbox) == 1
    assert outbound.status == OutboundEmail.Status.SENT
    assert outbound.attempts == 1


def test_send_email_task_unknown_id_is_harmless():
    assert email_service.outbound_email_send(email_id=999_999, max_attempts=5) is False
    assert mail.outbox == []


def test_email_queue_keeps_html_alternative(django_capture_on_commit_callbacks):
    message = mail.EmailMultiAlternatives(subject="Hi", body="plain", to=["a@example.org"])
    message.attach_alternative("<p>rich</p>", "text/html")
    with django_capture_on_commit_callbacks(execute=True):
        email_service.email_queue(message=message)

    assert mail.outbox[0].alternatives[0][0] == "<p>rich</p>"
    assert OutboundEmail.objects.get().html_body == "<p>rich</p>"


def test_outbox_flush_sends_only_rows_older_than_retry_delay(
    settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_AFTER_SECONDS = 120
    with django_capture_on_commit_callbacks(execute=False):  # the broker "lost" them
        stale = queue_email(subject="Stale")
        fresh = queue_email(subject="Fresh")
    age(stale, 121)

    assert flush_email_outbox_task.apply().get() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == OutboundEmail.Status.SENT
    assert fresh.status == OutboundEmail.Status.PENDING
    assert [m.subject for m in mail.outbox] == ["Stale"]


def test_outbox_flush_is_idempotent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        rows = [queue_email(subject=f"Mail {i}") for i in range(3)]
    for row in rows:
        age(row, 3600)

    assert email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS) == 3
    assert email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS) == 0
    assert len(mail.outbox) == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_outbox_flush_skips_sent_and_failed_rows(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sent = queue_email(subject="Sent")
        failed = queue_email(subject="Failed")
    OutboundEmail.objects.filter(pk=sent.pk).update(status=OutboundEmail.Status.SENT)
    OutboundEmail.objects.filter(pk=failed.pk).update(status=OutboundEmail.Status.FAILED)
    age(sent, 3600)
    age(failed, 3600)

    assert email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS) == 0
    assert mail.outbox == []


def test_outbound_email_send_smtp_failure_counts_attempts_then_fails(
    settings, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=False):
        outbound = queue_email()
    settings.EMAIL_BACKEND = FAILING_BACKEND

    for attempt in range(1, 3):
        assert email_service.outbound_email_send(email_id=outbound.pk, max_attempts=3) is False
        outbound.refresh_from_db()
        assert outbound.attempts == attempt
        assert outbound.status == OutboundEmail.Status.PENDING
        assert "Connection unexpectedly closed" in outbound.last_error

    assert email_service.outbound_email_send(email_id=outbound.pk, max_attempts=3) is False
    outbound.refresh_from_db()
    assert outbound.attempts == 3
    assert outbound.status == OutboundEmail.Status.FAILED
    assert f"Sending email {outbound.pk} failed" in caplog.text

    # A failed email is left alone, by the task and by the flush.
    assert email_service.outbound_email_send(email_id=outbound.pk, max_attempts=3) is False
    age(outbound, 3600)
    assert email_service.outbox_flush(max_attempts=3) == 0
    outbound.refresh_from_db()
    assert outbound.attempts == 3


def test_send_email_task_marks_failed_after_max_attempts(
    settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        outbound = queue_email()
    settings.EMAIL_BACKEND = FAILING_BACKEND

    for _ in range(MAX_EMAIL_ATTEMPTS + 2):
        send_email_task.apply(kwargs={"email_id": outbound.pk})

    outbound.refresh_from_db()
    assert outbound.attempts == MAX_EMAIL_ATTEMPTS
    assert outbound.status == OutboundEmail.Status.FAILED


def test_outbox_flush_sends_a_previously_failing_email_once_smtp_recovers(
    settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        outbound = queue_email()
    settings.EMAIL_BACKEND = FAILING_BACKEND
    email_service.outbound_email_send(email_id=outbound.pk, max_attempts=MAX_EMAIL_ATTEMPTS)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    age(outbound, 3600)

    assert email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS) == 1
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENT
    assert outbound.attempts == 2
    assert len(mail.outbox) == 1


def test_outbox_discarding_records_sent_and_enqueues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, email_service.outbox_discarding():
        one = queue_email(subject="One")
        many = email_service.emails_queue(
            messages=[EmailMessage(subject="Two", body="Body", to=["b@example.org"])]
        )
    assert callbacks == []
    assert mail.outbox == []
    for outbound in [one, *many]:
        outbound.refresh_from_db()
        assert outbound.status == OutboundEmail.Status.SENT
        assert outbound.attempts == 1
        assert outbound.sent_at is not None
    queue_email(subject="After")  # the context is over: queued and sent as usual
    assert OutboundEmail.objects.get(subject="After").status == OutboundEmail.Status.PENDING
