"""Kill a real worker in the middle of a metrics run: the previous result stays, nothing partial
is left, and a new worker completes the run (the message was never acknowledged: acks_late).

The worker is a separate process (``celery -A config worker --pool=solo``) on the test Redis and
the test database (tests/metrics/worker_settings.py); it pauses inside the run's write
transaction after writing the member rows, and the test sends it SIGKILL there.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from metrics import selectors, services
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, TieStrength
from metrics.tasks import recompute_community_task
from tests.factories import CommunityFactory
from tests.practice.factories import answer, ask, member_of

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# A queue of this test run's own: other test runs on the same machine may run workers on the
# same Redis database, and must not take this test's messages (nor this worker theirs).
QUEUE = f"metrics-kill-{uuid.uuid4().hex[:8]}"


class Worker:
    """A real worker process; its log goes to a file the test reads."""

    def __init__(self, redis_url, *, sleep_at="", sleep_seconds=0):
        self.log_path = Path(tempfile.mkstemp(prefix="metrics-worker-", suffix=".log")[1])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.metrics.worker_settings",
            "PRACTICA_WORKER_DATABASE_NAME": str(connection.settings_dict["NAME"]),
            "PRACTICA_WORKER_BROKER_URL": redis_url,
            "PRACTICA_WORKER_SLEEP_AT": sleep_at,
            "PRACTICA_WORKER_SLEEP_SECONDS": str(sleep_seconds),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                "--concurrency=1", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel=INFO", "-Q", QUEUE,
                "-n", f"kill-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text()

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture
def workers(redis_url):
    started = []

    def start(**kwargs):
        worker = Worker(redis_url, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def lively():
    community = CommunityFactory(slug="lively")
    asker, helpers = member_of(community), [member_of(community) for _ in range(4)]
    thread = ask(community, asker)
    for helper in helpers:
        answer(thread, helper, body="Try this.")
    return community, thread, helpers


def rows_of(snapshot):
    return MemberMetrics.objects.filter(snapshot=snapshot).count()


def test_killed_worker_leaves_previous_result_and_next_worker_completes(
    lively, workers, redis_url, celery_broker
):
    community, thread, helpers = lively
    good = services.metrics_compute(community_id=community.pk)
    state = MetricsState.objects.get(community=community)
    ties_before = list(TieStrength.objects.filter(community=community).order_by("pk").values())
    answer(thread, helpers[0], body="One more idea.")  # new log rows for the next run
    as_of = good.as_of + timedelta(minutes=1)

    doomed = workers(sleep_at="members_written", sleep_seconds=120)
    with celery_broker(redis_url):
        recompute_community_task.apply_async(
            kwargs={"community_id": community.pk, "as_of": as_of.isoformat()}, queue=QUEUE
        )
    assert wait_for(lambda: "checkpoint members_written" in doomed.output()), doomed.output()
    # Mid-run: the member rows of the new snapshot are written, not committed.
    assert selectors.latest_snapshot(community) == good

    doomed.kill()

    assert selectors.latest_snapshot(community) == good
    assert not MetricsSnapshot.objects.filter(community=community, as_of=as_of).exists()
    assert MemberMetrics.objects.exclude(snapshot__community=community).count() == 0
    assert MemberMetrics.objects.filter(snapshot__community=community).count() == sum(
        rows_of(s) for s in MetricsSnapshot.objects.filter(community=community)
    )
    assert rows_of(good) == 5
    assert (
        list(TieStrength.objects.filter(community=community).order_by("pk").values()) == ties_before
    )
    after_kill = MetricsState.objects.get(community=community)
    assert after_kill.interactions_watermark == state.interactions_watermark
    assert after_kill.started_at > state.finished_at  # it had started: "running", then died

    survivor = workers()
    assert wait_for(
        lambda: MetricsSnapshot.objects.filter(community=community, as_of=as_of).exists(),
        timeout=90,
    ), survivor.output()

    redone = MetricsSnapshot.objects.get(community=community, as_of=as_of)
    assert selectors.latest_snapshot(community) == redone
    assert rows_of(redone) == 5
    assert redone.data["windows"]["7"]["posts"] == good.data["windows"]["7"]["posts"] + 1
    final = MetricsState.objects.get(community=community)
    assert final.interactions_watermark > state.interactions_watermark
    assert final.finished_at >= final.started_at
    assert final.last_error == ""
    assert "succeeded" in survivor.output()
