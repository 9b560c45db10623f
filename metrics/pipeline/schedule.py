"""When runs happen: requests coalesced and debounced, the stale-request sweep, enqueueing after
commit, the hourly list of communities.

Requests are coalesced (``metrics_request``): the first request after a run wins the right to
enqueue (one atomic upsert ``... WHERE pending_since IS NULL``), later ones add nothing until the
run starts. Under Celery the task waits ``METRICS_DEBOUNCE_SECONDS`` so a burst of posts makes one
run. In the embedded default (no broker, tasks eager) the run happens in-process after the commit,
unless one finished less than the debounce ago: then the request stays pending and the next
request after the debounce runs it (or ``manage.py compute_metrics``).

The run is enqueued by its Celery name, looked up in the app's registry, because
``metrics.tasks`` calls into this module (``metrics.apps`` imports the tasks at start-up so the
name is registered in every process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta

from celery import current_app as app
from django.db import connection, transaction
from django.utils import timezone

from communities.models import Community
from core.enqueue import enqueue_on_commit
from metrics import services
from metrics.conf import pipeline_settings
from metrics.models import MetricsSnapshot, MetricsState
from metrics.pipeline.times import as_of_minute, iso

RECOMPUTE_COMMUNITY_TASK = "metrics.recompute_community"

_REQUEST_SQL = """
    INSERT INTO {table} (community_id, pending_since, last_error, interactions_watermark,
        ties_token)
    VALUES (%s, %s, '', 0, '')
    ON CONFLICT (community_id) DO UPDATE SET pending_since = excluded.pending_since
    WHERE {table}.pending_since IS NULL OR {table}.pending_since < %s
"""


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def metrics_request(*, community_id: int, now: datetime | None = None) -> bool:
    """Ask for a recompute of the community; return whether this call enqueued one.

    One statement: an upsert that sets ``pending_since`` only where nothing is pending (or the
    pending request is stale: its message was lost, or in the embedded default the debounce has
    passed). Only the caller that set it enqueues, so a burst of requests makes one run.
    """
    pipeline = pipeline_settings()
    now = now or timezone.now()
    eager = _eager()
    stale = pipeline.debounce_seconds if eager else pipeline.request_stale_seconds
    with connection.cursor() as cursor:
        cursor.execute(
            _REQUEST_SQL.format(table=MetricsState._meta.db_table),
            [community_id, now, now - timedelta(seconds=stale)],
        )
        won = cursor.rowcount == 1
    if won:
        countdown = 0 if eager else pipeline.debounce_seconds
        as_of = as_of_minute(now + timedelta(seconds=countdown))
        _enqueue_on_commit(community_id=community_id, as_of=as_of, countdown=countdown)
    return won


def _enqueue_on_commit(*, community_id: int, as_of: datetime, countdown: int) -> None:
    # A broker that is down, or an in-process run that failed, is logged: the request stays
    # pending, and the sweep enqueues it again (or the hourly run catches up).
    enqueue_on_commit(
        RECOMPUTE_COMMUNITY_TASK,
        countdown=countdown or None,
        community_id=community_id,
        as_of=iso(as_of),
        requested=True,
    )


def metrics_requests_sweep(*, now: datetime | None = None) -> list[int]:
    """Enqueue again every request pending too long; return the communities enqueued."""
    pipeline = pipeline_settings()
    now = now or timezone.now()
    # A pending request is cleared when its run starts, so one older than its debounce lost its
    # message (or its enqueue failed). Never younger than twice the debounce: a request in its
    # countdown has its message waiting in the worker, and enqueueing it again would run it twice.
    after = max(pipeline.request_sweep_after_seconds, 2 * pipeline.debounce_seconds)
    cutoff = now - timedelta(seconds=after)
    stale = MetricsState.objects.filter(pending_since__lt=cutoff).order_by("community_id")
    enqueued = []
    for community_id in list(stale.values_list("community_id", flat=True)):
        with transaction.atomic():
            # Claimed like metrics_request claims: only the caller whose UPDATE still finds the
            # request stale enqueues; a concurrent sweep, or a new interaction's request, finds
            # it fresh and adds nothing.
            claimed = MetricsState.objects.filter(
                community_id=community_id, pending_since__lt=cutoff
            ).update(pending_since=now)
            if claimed:
                _enqueue_on_commit(community_id=community_id, as_of=as_of_minute(now), countdown=0)
                enqueued.append(community_id)
    return enqueued


def metrics_run_requested(
    *, community_id: int, as_of: datetime | None, requested: bool = False
) -> MetricsSnapshot | None:
    """Run a (possibly requested) recompute; in the embedded default skip it when a run finished
    less than the debounce ago, leaving the request pending for the next one."""
    if not Community.objects.filter(pk=community_id).exists():
        return None
    if requested and _eager():
        debounce = timedelta(seconds=pipeline_settings().debounce_seconds)
        finished = (
            MetricsState.objects.filter(community_id=community_id)
            .values_list("finished_at", flat=True)
            .first()
        )
        if finished is not None and finished > timezone.now() - debounce:
            return None
    return services.metrics_compute(community_id=community_id, as_of=as_of)


_requests_held: ContextVar[bool] = ContextVar("metrics_requests_held", default=False)


@contextlib.contextmanager
def metrics_requests_held() -> Iterator[None]:
    """Ask for no recompute when the interaction log grows, while inside.

    For writing a lot of history at once (``seed_demo``), which computes the metrics once at
    the end: the transactions that commit inside request nothing.
    """
    token = _requests_held.set(True)
    try:
        yield
    finally:
        _requests_held.reset(token)


def metrics_request_for_interactions(*, community_ids: set[int]) -> None:
    """Ask for a recompute of each community whose interaction log grew (communities calls this
    once per transaction, after commit: ``register_interactions_written_listener``), unless
    held (``metrics_requests_held``)."""
    if _requests_held.get():
        return
    for community_id in sorted(community_ids):
        metrics_request(community_id=community_id)


def metrics_log_changed(*, community_ids) -> int:
    """Note that interactions of these communities were removed or moved: the next run rebuilds
    the tie table from the whole log. One UPDATE (``community_ids`` may be a subquery)."""
    return MetricsState.objects.filter(community_id__in=community_ids).update(
        full_requested_at=timezone.now()
    )


def communities_to_recompute() -> list[int]:
    """Return the ids of communities with members (the hourly run recomputes each)."""
    return list(
        Community.objects.filter(memberships__state="active")
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
