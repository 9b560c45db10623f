"""The beat-driven sweep: a request whose enqueue failed runs within minutes, never twice."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from config.celery import app
from metrics import tasks
from metrics.models import MetricsState
from metrics.pipeline import schedule
from tests.factories import CommunityFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db(transaction=True)  # commits, so on_commit hooks run


@pytest.fixture
def broker(monkeypatch):
    """Behave as under a real broker (not eager); record what is enqueued, or fail when down."""

    class Broker:
        down = False
        sent: list = []

    def apply_async(kwargs=None, countdown=None, **_):
        if Broker.down:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        Broker.sent.append((kwargs, countdown))

    Broker.sent = []
    monkeypatch.setattr(tasks.recompute_community_task, "apply_async", apply_async)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield Broker
    app.conf.task_always_eager = eager


@pytest.fixture
def community():
    community = CommunityFactory(slug="sweep")
    thread = ask(community, member_of(community))
    return community, thread, member_of(community)


def pending_for(community, seconds):
    """Make the community's request look *seconds* old; return that moment."""
    since = timezone.now() - timedelta(seconds=seconds)
    MetricsState.objects.filter(community=community).update(pending_since=since)
    return since


def test_sweep_enqueues_a_request_whose_enqueue_failed(community, broker):
    community, thread, helper = community
    broker.down = True
    answer(thread, helper, body="Written while the broker was down")
    assert broker.sent == []
    assert MetricsState.objects.get(community=community).pending_since is not None
    broker.down = False
    pending_for(community, settings.METRICS_REQUEST_SWEEP_AFTER_SECONDS + 1)

    assert schedule.metrics_requests_sweep() == [community.pk]

    assert len(broker.sent) == 1
    kwargs, countdown = broker.sent[0]
    assert kwargs["community_id"] == community.pk and kwargs["requested"] is True
    assert countdown is None  # the request already waited its debounce: run now
    state = MetricsState.objects.get(community=community)
    assert state.pending_since > timezone.now() - timedelta(seconds=5)  # claimed afresh


def test_sweep_leaves_a_request_in_its_countdown(community, broker):
    community, thread, helper = community
    answer(thread, helper, body="Enqueued with its debounce")
    assert len(broker.sent) == 1
    pending_for(community, settings.METRICS_DEBOUNCE_SECONDS)  # the countdown just ended

    assert schedule.metrics_requests_sweep() == []
    assert len(broker.sent) == 1


def test_sweep_never_takes_a_request_younger_than_twice_the_debounce(community, broker, settings):
    # A sweep delay configured below the debounce would re-enqueue every request in its
    # countdown; twice the debounce is the floor.
    community, thread, helper = community
    settings.METRICS_REQUEST_SWEEP_AFTER_SECONDS = 1
    answer(thread, helper, body="Enqueued with its debounce")
    pending_for(community, settings.METRICS_DEBOUNCE_SECONDS + 5)

    assert schedule.metrics_requests_sweep() == []
    pending_for(community, 2 * settings.METRICS_DEBOUNCE_SECONDS + 1)
    assert schedule.metrics_requests_sweep() == [community.pk]


def test_sweep_is_idempotent(community, broker):
    community, thread, helper = community
    broker.down = True
    answer(thread, helper, body="Written while the broker was down")
    broker.down = False
    pending_for(community, settings.METRICS_REQUEST_SWEEP_AFTER_SECONDS + 1)

    assert schedule.metrics_requests_sweep() == [community.pk]
    assert schedule.metrics_requests_sweep() == []
    assert schedule.metrics_request(community_id=community.pk) is False  # coalesced with it
    assert len(broker.sent) == 1


def test_concurrent_sweeps_and_requests_enqueue_once(community, broker):
    community, thread, helper = community
    broker.down = True
    answer(thread, helper, body="Written while the broker was down")
    broker.down = False
    # Stale for the sweep and for a new interaction's request alike.
    pending_for(community, settings.METRICS_REQUEST_STALE_SECONDS + 1)
    start = threading.Barrier(6)
    errors = []

    def sweep():
        try:
            start.wait(timeout=10)
            schedule.metrics_requests_sweep()
        except Exception as exc:  # reported below: a thread's exception would vanish
            errors.append(exc)
        finally:
            connections.close_all()

    def request():
        try:
            start.wait(timeout=10)
            schedule.metrics_request(community_id=community.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    threads += [threading.Thread(target=request) for _ in range(2)]
    for thread_ in threads:
        thread_.start()
    for thread_ in threads:
        thread_.join(timeout=30)

    assert errors == []
    assert len(broker.sent) == 1


def test_sweep_task_runs_every_minute_from_beat(community, broker):
    community, thread, helper = community
    broker.down = True
    answer(thread, helper, body="Written while the broker was down")
    broker.down = False
    pending_for(community, settings.METRICS_REQUEST_SWEEP_AFTER_SECONDS + 1)

    entry = settings.CELERY_BEAT_SCHEDULE["metrics-request-sweep"]
    assert entry == {"task": "metrics.sweep_requests", "schedule": 60}
    assert settings.METRICS_REQUEST_SWEEP_AFTER_SECONDS == 120
    assert app.tasks[entry["task"]]() == 1  # what beat sends, run here
    assert len(broker.sent) == 1


def test_no_request_while_held(community, broker):
    community, thread, helper = community
    with schedule.metrics_requests_held():
        answer(thread, helper, body="Written while the requests are held")
    assert broker.sent == []

    answer(thread, helper, body="Written after the hold")
    assert len(broker.sent) == 1
