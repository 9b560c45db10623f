"""Tasks and requests: coalescing, debouncing, idempotence, the hourly run."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app
from metrics import services, tasks
from metrics.models import MetricsSnapshot, MetricsState
from metrics.pipeline import schedule
from tests.factories import CommunityFactory
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db(transaction=True)  # commits, so on_commit hooks run


@pytest.fixture
def busy_thread():
    community = CommunityFactory(slug="busy")
    asker, helper = member_of(community), member_of(community)
    thread = ask(community, asker)
    return community, thread, helper


@pytest.fixture
def broker_mode(monkeypatch):
    """Behave as under a real broker (not eager) and record what would be enqueued."""
    sent = []
    monkeypatch.setattr(
        tasks.recompute_community_task,
        "apply_async",
        lambda kwargs=None, countdown=None, **_: sent.append((kwargs, countdown)),
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield sent
    app.conf.task_always_eager = eager


@pytest.fixture
def count_runs(monkeypatch):
    runs = []
    real = services.metrics_compute

    def spy(**kwargs):
        runs.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "metrics_compute", spy)
    return runs


def test_hundred_posts_enqueue_one_run_with_the_debounce(busy_thread, broker_mode):
    community, thread, helper = busy_thread

    for i in range(100):
        answer(thread, helper, body=f"Idea {i}")

    assert len(broker_mode) == 1
    kwargs, countdown = broker_mode[0]
    assert countdown == settings.METRICS_DEBOUNCE_SECONDS == 30
    assert kwargs["community_id"] == community.pk and kwargs["requested"] is True
    assert MetricsState.objects.get(community=community).pending_since is not None


def test_hundred_posts_run_once_in_process_without_a_broker(busy_thread, count_runs):
    community, thread, helper = busy_thread

    for i in range(100):
        answer(thread, helper, body=f"Idea {i}")

    assert len(count_runs) == 1  # the first answer ran at once; 99 within the debounce did not
    state = MetricsState.objects.get(community=community)
    assert state.pending_since is not None  # left for the next request after the debounce
    assert MetricsSnapshot.objects.filter(community=community).count() == 1


def test_pending_request_runs_after_the_debounce_in_process(busy_thread, count_runs):
    community, thread, helper = busy_thread
    answer(thread, helper, body="First idea")  # runs at once
    answer(thread, helper, body="Second idea")  # within the debounce: pending, no run
    assert len(count_runs) == 1
    MetricsState.objects.filter(community=community).update(
        finished_at=timezone.now() - timedelta(seconds=31),
        pending_since=timezone.now() - timedelta(seconds=31),
    )

    answer(thread, helper, body="Third idea")

    assert len(count_runs) == 2
    assert MetricsState.objects.get(community=community).pending_since is None


def test_stale_pending_request_is_enqueued_again(busy_thread, broker_mode):
    community, thread, helper = busy_thread
    answer(thread, helper, body="First idea")
    broker_mode.clear()
    now = timezone.now()
    MetricsState.objects.filter(community=community).update(
        pending_since=now - timedelta(seconds=settings.METRICS_REQUEST_STALE_SECONDS + 1)
    )

    assert schedule.metrics_request(community_id=community.pk) is True
    assert schedule.metrics_request(community_id=community.pk) is False
    assert len(broker_mode) == 1


def test_one_transaction_makes_one_request_per_community(busy_thread, broker_mode):
    from communities.interactions import interaction_record
    from communities.models import Interaction

    community, thread, helper = busy_thread
    others = [member_of(community) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for other in others:
            interaction_record(
                community=community,
                actor=helper,
                target=other,
                kind=Interaction.Kind.MENTION,
                occurred_at=timezone.now(),
                source=thread,
            )
    upserts = [q for q in queries if "metrics_metricsstate" in q["sql"]]
    assert len(upserts) == 1
    assert len(broker_mode) == 1


def test_rolled_back_transaction_requests_nothing(busy_thread, broker_mode):
    community, thread, helper = busy_thread

    with pytest.raises(RuntimeError), transaction.atomic():
        answer(thread, helper, body="Never committed")
        raise RuntimeError

    assert broker_mode == []
    assert not MetricsState.objects.filter(community=community).exists()
    answer(thread, helper, body="Committed")  # and the next transaction still requests
    assert len(broker_mode) == 1


def test_task_delivered_twice_gives_identical_data():
    village = build_smallville()
    as_of = T.isoformat()
    with frozen(T + timedelta(seconds=5)):
        tasks.recompute_community_task.delay(community_id=village.community.pk, as_of=as_of)
        first = MetricsSnapshot.objects.get(as_of=T)
    with frozen(T + timedelta(seconds=50)):
        tasks.recompute_community_task.delay(community_id=village.community.pk, as_of=as_of)
        second = MetricsSnapshot.objects.get(as_of=T)

    assert first.pk == second.pk
    ignore = {"computed_at", "duration_ms", "run"}
    assert {k: v for k, v in first.data.items() if k not in ignore} == {
        k: v for k, v in second.data.items() if k not in ignore
    }


def test_task_for_a_deleted_community_does_nothing():
    tasks.recompute_community_task.delay(community_id=987654)
    assert MetricsSnapshot.objects.count() == 0


def test_recompute_all_enqueues_every_community_with_members(broker_mode, monkeypatch):
    with_members = CommunityFactory(slug="lively")
    member_of(with_members)
    CommunityFactory(slug="empty")
    delayed = []
    monkeypatch.setattr(
        tasks.recompute_community_task, "delay", lambda **kwargs: delayed.append(kwargs)
    )

    assert tasks.recompute_all_task() == 1
    assert [d["community_id"] for d in delayed] == [with_members.pk]
    assert delayed[0]["as_of"].endswith(":00+00:00")


def test_beat_runs_every_community_hourly_and_tasks_ack_late():
    entry = settings.CELERY_BEAT_SCHEDULE["metrics-hourly"]
    assert entry == {"task": "metrics.recompute_all", "schedule": 3600}
    assert tasks.recompute_community_task.acks_late is True
    assert tasks.recompute_community_task.name == "metrics.recompute_community"
