"""Background tasks of the core app, and the one way the project enqueues any task."""

import logging

from celery import shared_task
from django.db import OperationalError

from core import email as email_service
from core.after_commit import on_commit_safely

logger = logging.getLogger(__name__)

# The most times a failing email is retried before it is marked failed.
MAX_EMAIL_ATTEMPTS = 5


def _delay_logging_failures(task, kwargs: dict) -> bool:
    try:
        task.apply_async(kwargs=kwargs)
    except Exception:
        # The broker is down or silent. What the user did is committed; the periodic
        # catch-up (or the next enqueue) will do the work, so log and carry on.
        logger.exception("Could not enqueue %s(%s); it will be caught up later", task.name, kwargs)
        return False
    return True


def enqueue_on_commit(task, **kwargs) -> None:
    """Enqueue *task* with keyword *kwargs* once the current transaction commits."""
    on_commit_safely(lambda: _delay_logging_failures(task, kwargs), name=f"enqueue {task.name}")


def enqueue_each_on_commit(task, kwargs_list: list[dict]) -> None:
    """Enqueue *task* once per entry of *kwargs_list* once the current transaction commits.

    The first failure leaves the rest to the periodic catch-up: with the broker down or silent,
    every further try would wait out its own timeout inside the request.
    """

    def enqueue_each() -> None:
        for done, kwargs in enumerate(kwargs_list):
            if not _delay_logging_failures(task, kwargs):
                left = len(kwargs_list) - done - 1
                logger.warning("Left %s more %s to the catch-up", left, task.name)
                return

    if kwargs_list:
        on_commit_safely(enqueue_each, name=f"enqueue {len(kwargs_list)} x {task.name}")


@shared_task(name="core.send_email", autoretry_for=(OperationalError,), retry_backoff=True)
def send_email_task(*, email_id: int) -> None:
    email_service.outbound_email_send(email_id=email_id, max_attempts=MAX_EMAIL_ATTEMPTS)


@shared_task(name="core.flush_email_outbox")
def flush_email_outbox_task() -> int:
    return email_service.outbox_flush(max_attempts=MAX_EMAIL_ATTEMPTS)
