"""Queue and send email through the outbox."""

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from core.enqueue import enqueue_each_on_commit, enqueue_on_commit
from core.models import OutboundEmail

logger = logging.getLogger(__name__)


# Enqueued by name: core.tasks calls into this module (core.enqueue explains).
SEND_EMAIL_TASK = "core.send_email"

# Rows per INSERT: within SQLite's limit on bound variables (11 columns x 500 rows < 32766).
QUEUE_BATCH_SIZE = 500

_discarding: ContextVar[bool] = ContextVar("outbox_discarding", default=False)


@contextlib.contextmanager
def outbox_discarding() -> Iterator[None]:
    """Record the emails queued inside as sent, without sending or enqueuing anything.

    For backfills of past history whose people have addresses nobody reads (``seed_demo``): the
    outbox keeps its rows, as a backend that discards mail would have left them.
    """
    token = _discarding.set(True)
    try:
        yield
    finally:
        _discarding.reset(token)


def _discarded_fields() -> dict:
    if not _discarding.get():
        return {}
    return {"status": OutboundEmail.Status.SENT, "attempts": 1, "sent_at": timezone.now()}


def email_queue(*, message: EmailMessage) -> OutboundEmail:
    """Store *message* in the outbox and send it in the background after commit."""
    discarded = _discarded_fields()
    outbound = OutboundEmail.objects.create(**_outbound_fields(message), **discarded)
    if not discarded:
        enqueue_on_commit(SEND_EMAIL_TASK, email_id=outbound.pk)
    return outbound


def emails_queue(*, messages: list[EmailMessage]) -> list[OutboundEmail]:
    """Store *messages* in the outbox in one statement and send them in the background after
    commit; the outbox flush sends those whose enqueue was lost."""
    discarded = _discarded_fields()
    rows = OutboundEmail.objects.bulk_create(
        [OutboundEmail(**_outbound_fields(message), **discarded) for message in messages],
        batch_size=QUEUE_BATCH_SIZE,
    )
    if discarded:
        return rows
    enqueue_each_on_commit(SEND_EMAIL_TASK, [{"email_id": row.pk} for row in rows])
    return rows


def _outbound_fields(message: EmailMessage) -> dict:
    html_body = ""
    if isinstance(message, EmailMultiAlternatives):
        html_body = next((c for c, mime in message.alternatives if mime == "text/html"), "")
    return {
        "subject": message.subject[:255],
        "body": message.body,
        "html_body": html_body,
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
        "to": list(message.to),
        "headers": {str(k): str(v) for k, v in (message.extra_headers or {}).items()},
    }


def outbound_email_send(*, email_id: int, max_attempts: int) -> bool:
    """Send one queued email once; return whether it was sent by this call.

    The row lock makes a task delivered twice (or racing the periodic flush) send only once.
    """
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if outbound is None:
            return False
        message = EmailMultiAlternatives(
            subject=outbound.subject,
            body=outbound.body,
            from_email=outbound.from_email,
            to=outbound.to,
            headers=outbound.headers or None,
        )
        if outbound.html_body:
            message.attach_alternative(outbound.html_body, "text/html")
        outbound.attempts += 1
        try:
            message.send()
        except Exception as exc:  # SMTP errors are many and varied; all are retried later
            logger.warning("Sending email %s failed: %s", outbound.pk, exc)
            outbound.last_error = str(exc)[:2000]
            if outbound.attempts >= max_attempts:
                outbound.status = OutboundEmail.Status.FAILED
            outbound.save(update_fields=["attempts", "last_error", "status"])
            return False
        outbound.status = OutboundEmail.Status.SENT
        outbound.sent_at = timezone.now()
        outbound.save(update_fields=["attempts", "status", "sent_at"])
        return True


def outbox_flush(*, max_attempts: int) -> int:
    """Send pending emails that waited longer than the retry delay; return how many were sent."""
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_RETRY_AFTER_SECONDS)
    pending_ids = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True)
    return sum(
        outbound_email_send(email_id=pk, max_attempts=max_attempts) for pk in list(pending_ids)
    )
