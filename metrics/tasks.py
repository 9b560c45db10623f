"""Background runs of the metrics: one task per community, thin and idempotent.

``acks_late`` (also the project default) makes a worker acknowledge the message only after the
run returns, so a worker killed mid-run leaves the message to be delivered again; the run itself
writes everything in one transaction, so the killed attempt left nothing behind.
"""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from metrics import services
from metrics.pipeline import schedule
from metrics.pipeline.network_refresh import NETWORK_REFRESH_TASK
from metrics.pipeline.store import MetricsConflict
from metrics.pipeline.times import as_of_minute


@shared_task(
    name=schedule.RECOMPUTE_COMMUNITY_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, MetricsConflict),
    retry_backoff=True,
    max_retries=5,
)
def recompute_community_task(
    *, community_id: int, as_of: str | None = None, requested: bool = False
) -> None:
    schedule.metrics_run_requested(
        community_id=community_id,
        as_of=parse_datetime(as_of) if as_of else None,
        requested=requested,
    )


@shared_task(
    name=NETWORK_REFRESH_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def refresh_network_task(*, community_id: int) -> None:
    services.metrics_network_refresh(community_id=community_id)


@shared_task(name="metrics.recompute_all")
def recompute_all_task() -> int:
    """Enqueue a run of every community as of this minute (celery beat, hourly by default)."""
    as_of = as_of_minute(timezone.now()).isoformat()
    community_ids = schedule.communities_to_recompute()
    for community_id in community_ids:
        recompute_community_task.delay(community_id=community_id, as_of=as_of)
    return len(community_ids)


@shared_task(name="metrics.sweep_requests")
def sweep_requests_task() -> int:
    """Enqueue again the requests whose message was lost (celery beat, every minute)."""
    return len(schedule.metrics_requests_sweep())
