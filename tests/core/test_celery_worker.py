"""A real Celery worker, against a real Redis, sends the email the web request queued.

The worker runs in a thread of the test process (``start_worker``), so it shares the test
database. ``transaction=True`` makes the test's rows committed and so visible to the worker's
own database connection. On SQLite the test database is a per-run file
(config/settings/test.py), which every thread opens; on PostgreSQL it is ``test_practica``.
An in-memory shared-cache SQLite database also works across threads, but locks whole tables
and answers a reader that meets a writer with "database table is locked" at once.

So that the test never races the worker for the database, the test thread waits for the email
in ``mail.outbox`` (memory), then for the worker to finish the task
(``celery.worker.state.active_requests`` empty), and only then reads the rows.
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.core import mail
from django.db import connection, transaction

from communities import services
from core import health
from core.email import email_queue
from core.models import OutboundEmail
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def worker(redis_url, celery_broker, settings):
    """Run a real worker (solo pool, in a thread) on the flushed test Redis database."""
    settings.REDIS_URL = redis_url
    with (
        celery_broker(redis_url) as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=15) as w,
    ):
        yield w


def wait_for_emails_sent_by_worker(count: int) -> None:
    """Wait, without touching the database, until the worker sent *count* emails and is idle."""
    assert wait_for(lambda: len(mail.outbox) >= count), "the worker sent no email"
    assert wait_for(lambda: not worker_state.active_requests), "the worker is still busy"


def test_test_database_is_shared_with_worker_threads():
    # Documents the premise of this module: another thread sees committed rows.
    import threading

    from django.db import connections

    user = UserFactory()
    seen = []

    def look():
        from django.contrib.auth import get_user_model

        seen.append(get_user_model().objects.filter(pk=user.pk).exists())
        connections.close_all()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(5)
    assert seen == [True], f"{connection.vendor} test database not shared across threads"


def test_worker_sends_email_enqueued_on_commit(worker):
    with transaction.atomic():
        outbound = email_queue(
            message=mail.EmailMessage(subject="Through the worker", body="b", to=["a@x.org"])
        )
        time.sleep(0.3)  # a worker would have had time to take a task published too early
        assert mail.outbox == []

    wait_for_emails_sent_by_worker(1)
    outbound.refresh_from_db()
    assert outbound.status == OutboundEmail.Status.SENT
    assert outbound.attempts == 1
    assert [m.subject for m in mail.outbox] == ["Through the worker"]


def test_worker_sends_join_request_email_to_moderators(worker, request_community, moderator_of):
    moderator = moderator_of(request_community)
    applicant = UserFactory()

    services.membership_request(community=request_community, user=applicant, message="Hello")

    wait_for_emails_sent_by_worker(1)
    outbound = OutboundEmail.objects.get()
    assert outbound.status == OutboundEmail.Status.SENT
    assert [(m.subject, m.to) for m in mail.outbox] == [
        (
            f"[Practica] {applicant.username} asks to join {request_community.name}",
            [moderator.email],
        )
    ]


def test_health_reports_worker_ok_while_it_runs(worker):
    checks = {check.name: check for check in health.run_checks()}

    assert checks["database"].status == "ok"
    assert checks["redis"].status == "ok"
    assert checks["worker"].status == "ok", checks["worker"].detail
    assert "1 worker(s) answered" in checks["worker"].detail


def test_health_reports_worker_failing_without_one(redis_url, celery_broker, settings):
    settings.REDIS_URL = redis_url
    with celery_broker(redis_url):
        checks = {check.name: check for check in health.run_checks()}

    assert checks["redis"].status == "ok"
    assert checks["worker"].status == "failing"
    assert checks["worker"].seconds < 3
