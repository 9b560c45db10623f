"""Compute and store a community's metrics: the run, whose steps live in ``metrics.pipeline``.

A run (``metrics_compute``) plans (``pipeline.plan``), reads the community's content and
interaction log and computes every figure (``pipeline.run``), then writes the result in ONE
transaction (``pipeline.store``): the snapshot, its member rows, the tie table and the state's
watermark. Readers see the previous snapshot until that transaction commits; a run that dies
half-way writes nothing. When runs happen is ``pipeline.schedule``'s business.

Runs are deterministic: a run as of T (rounded up to the minute) over the same log and content
gives the same ``data``, member rows and network edges, bit for bit, whether it rebuilt the tie
table or folded in only the new rows (a pair's state is an exact function of its log rows, see
``collect.fold_log``); only ``computed_at``, ``duration_ms`` and ``run`` describe the run itself.
A snapshot for the same moment is replaced, never duplicated (``unique (community, as_of)``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.utils import timezone

from core.enqueue import enqueue_on_commit
from metrics.models import MetricsSnapshot, MetricsState
from metrics.pipeline.network_refresh import NETWORK_REFRESH_TASK, network_refresh
from metrics.pipeline.plan import plan_run
from metrics.pipeline.run import compute_run
from metrics.pipeline.stopwatch import Stopwatch, last_run_phases
from metrics.pipeline.store import MetricsConflict, store_result
from metrics.pipeline.times import as_of_minute, month_start

logger = logging.getLogger(__name__)


def metrics_compute(
    *, community_id: int, as_of: datetime | None = None, full: bool = False
) -> MetricsSnapshot:
    """Compute the community's metrics as of *as_of* (default now; rounded up to the minute) and
    store them atomically; return the snapshot.

    A run close to now (within the schedule) and not older than the tie table is *current*: it
    folds the interactions logged since the last run into the tie table (or rebuilds it from the
    whole log when *full*, when the log changed under it, or once a day) and advances the
    watermark. A run for a past moment recomputes everything from the log up to then and leaves
    the tie table alone.
    """
    started = time.monotonic()
    now = timezone.now()
    as_of = as_of_minute(as_of or now)
    last_run_phases.clear()
    for attempt in range(3):
        clock = Stopwatch()
        plan = plan_run(community_id=community_id, as_of=as_of, full=full, now=now)
        clock.lap("plan")
        try:
            result = compute_run(plan)
            clock = Stopwatch()
            snapshot = store_result(plan, result, started=started)
            clock.lap("write")
            if result.network_refresh:
                # By name: metrics.tasks calls into this module.
                enqueue_on_commit(NETWORK_REFRESH_TASK, community_id=community_id)
            return snapshot
        except MetricsConflict:
            if attempt == 2:
                raise
            full = True
            now = timezone.now()
        except Exception as exc:
            _record_failure(community_id, exc)
            raise
    raise AssertionError("unreachable")


def metrics_network_refresh(*, community_id: int) -> MetricsSnapshot | None:
    """Compute the network measures the community's latest snapshot carried forward beyond the
    tolerance and store them in it (``pipeline.network_refresh``); None: nothing to do."""
    return network_refresh(community_id=community_id)


def _record_failure(community_id: int, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        MetricsState.objects.filter(community_id=community_id).update(last_error=message)
    except Exception:  # the database itself may be what failed; the task will retry
        logger.exception("Could not record the failure of the metrics run of %s", community_id)


def metrics_compute_history(
    *, community_id: int, months: int, now: datetime | None = None, log=None
) -> list[MetricsSnapshot]:
    """Compute a snapshot at the start of each of the last *months* months, then one now.

    Oldest first, each from the log up to its moment, so each finds its predecessors (levels
    before, transitions, trajectories). Month starts are fixed moments: computing the history
    again replaces those snapshots instead of adding more.
    """
    now = as_of_minute(now or timezone.now())
    moments = [month_start(now, k) for k in range(months - 1, -1, -1)] + [now]
    snapshots = []
    for moment in dict.fromkeys(moments):  # now may be a month start itself
        started = time.monotonic()
        snapshots.append(metrics_compute(community_id=community_id, as_of=moment))
        if log is not None:
            log(moment, time.monotonic() - started)
    return snapshots
