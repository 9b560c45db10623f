"""Background tasks of the notifications app: thin, named, idempotent; each calls one service.

The task names keep their ``practice.`` prefix from before the move: they are the addresses of
messages already queued and of the beat schedule (config/settings/base.py), not module paths.
"""

from datetime import datetime, timedelta

from celery import shared_task
from django.db import OperationalError

from notifications import digests
from notifications import email as notification_email


@shared_task(
    name="practice.send_notification_emails", autoretry_for=(OperationalError,), retry_backoff=True
)
def send_notification_emails_task(*, kind: str, user_ids: list[int], created_at: str) -> int:
    # No longer enqueued (notify writes the emails to the outbox in the content's transaction);
    # kept so that messages queued before an upgrade still run instead of being dropped.
    return notification_email.notification_emails_send(
        kind=kind, user_ids=user_ids, created_at=datetime.fromisoformat(created_at)
    )


@shared_task(
    name="practice.send_missed_notification_emails",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def send_missed_notification_emails_task() -> int:
    # Immediate notices not emailed when they were made: the member switched the kind to
    # "immediate" since, or a task queued before an upgrade was lost. Ten minutes of settling
    # let such a task, if merely slow, go first.
    return notification_email.pending_emails_send(
        delivery=notification_email.Delivery.IMMEDIATE, settle=timedelta(minutes=10)
    )


@shared_task(
    name="practice.send_daily_digests", autoretry_for=(OperationalError,), retry_backoff=True
)
def send_daily_digests_task() -> int:
    return digests.daily_digests_send()


@shared_task(
    name="practice.send_weekly_digests", autoretry_for=(OperationalError,), retry_backoff=True
)
def send_weekly_digests_task() -> int:
    return digests.weekly_digests_send()
