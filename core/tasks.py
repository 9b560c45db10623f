"""Background tasks of the core app: sending the outbox (``core.enqueue`` enqueues them)."""

from celery import shared_task
from django.db import OperationalError

from core import email as email_service

# The most times a failing email is retried before it is marked failed.
MAX_EMAIL_ATTEMPTS = 5


@shared_task(name="core.send_email", autoretry_for=(OperationalError,), retry_backoff=True)
def send_email_task(*, email_id: int) -> None:
    email_service.outbound_email_send(email_id=email_id, max_attempts=MAX_EMAIL_ATTEMPTS)


@shared_task(name="core.flush_email_outbox")
def flush_email_outbox_task() -> int:
    return email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS)
