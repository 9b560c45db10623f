"""What a run covers: current or past, incremental or full, as of when."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from metrics import collect
from metrics.compute.pairs import reference_time
from metrics.conf import metrics_config, pipeline_settings
from metrics.models import MetricsState
from metrics.pipeline.times import from_epoch


@dataclass
class Plan:
    community_id: int
    as_of: datetime
    current: bool  # writes the tie table and the watermark; else a past period (history)
    full: bool  # rebuild the tie table from the whole log
    watermark_seen: int
    ties_as_of_seen: datetime | None
    full_requested_seen: datetime | None
    upto_pk: int
    ref: float  # the reference time of the tie table this run computes (pairs.reference_time)
    ties_token_seen: str = ""


def plan_run(*, community_id: int, as_of: datetime, full: bool, now: datetime) -> Plan:
    """Mark the run started (committed at once, so dashboards can say so) and decide its kind."""
    pipeline = pipeline_settings()
    ref = reference_time(as_of.timestamp(), metrics_config())
    with transaction.atomic():
        state, _ = MetricsState.objects.select_for_update().get_or_create(community_id=community_id)
        current = as_of >= now - timedelta(seconds=pipeline.schedule_seconds) and (
            state.ties_as_of is None or as_of >= state.ties_as_of
        )
        if current:
            state.pending_since = None
            state.started_at = now
            state.save(update_fields=["pending_since", "started_at"])
    full = (
        full
        or state.interactions_watermark == 0
        or state.ties_as_of is None
        or state.ties_ref_at != from_epoch(ref)  # a new era (or a table from before eras)
        or state.full_requested_at is not None
        or state.last_full_at is None
        or state.last_full_at < now - timedelta(seconds=pipeline.full_every_seconds)
    )
    return Plan(
        community_id=community_id,
        as_of=as_of,
        current=current,
        full=full or not current,
        watermark_seen=state.interactions_watermark,
        ties_as_of_seen=state.ties_as_of,
        full_requested_seen=state.full_requested_at,
        upto_pk=collect.log_high_water(community_id),
        ref=ref,
        ties_token_seen=state.ties_token,
    )
