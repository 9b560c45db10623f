"""Reads of stored metrics that views, exports and commands share (callers check permissions)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from metrics.conf import pipeline_settings
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, TieStrength


def latest_snapshot(community) -> MetricsSnapshot | None:
    """Return the community's most recent snapshot (the one dashboards show), or None."""
    return MetricsSnapshot.objects.filter(community=community).order_by("-as_of").first()


def snapshot_history(
    community, *, since: datetime | None = None, limit: int | None = None
) -> list[MetricsSnapshot]:
    """Return the community's snapshots, oldest first (the time series of the trend charts):
    those as of *since* or later, or the latest *limit* ones."""
    qs = MetricsSnapshot.objects.filter(community=community).only(
        "pk", "community_id", "as_of", "computed_at", "duration_ms", "betweenness_exact", "data"
    )
    if since is not None:
        qs = qs.filter(as_of__gte=since)
    qs = qs.order_by("-as_of")
    if limit is not None:
        qs = qs[:limit]
    return list(reversed(list(qs)))


def member_rows(
    snapshot: MetricsSnapshot,
    *,
    levels: list[str] | None = None,
    trajectories: list[str] | None = None,
    user_ids: list[int] | None = None,
    order_by: tuple[str, ...] = ("-betweenness", "user_id"),
    limit: int | None = None,
) -> QuerySet[MemberMetrics]:
    """Return the member rows of *snapshot* with each user and profile (one query)."""
    qs = MemberMetrics.objects.filter(snapshot=snapshot).select_related("user__profile")
    if levels:
        qs = qs.filter(level__in=levels)
    if trajectories:
        qs = qs.filter(trajectory__in=trajectories)
    if user_ids is not None:
        qs = qs.filter(user_id__in=user_ids)
    qs = qs.order_by(*order_by)
    return qs[:limit] if limit is not None else qs


def member_history(community, user, *, limit: int = 12) -> list[MemberMetrics]:
    """Return *user*'s rows in the community's latest *limit* snapshots, oldest first."""
    rows = (
        MemberMetrics.objects.filter(snapshot__community=community, user=user)
        .select_related("snapshot")
        .only(
            "level",
            "trajectory",
            "strong_ties",
            "weak_ties",
            "degree",
            "betweenness",
            "snapshot__as_of",
        )
        .order_by("-snapshot__as_of")[:limit]
    )
    return list(reversed(list(rows)))


def ties(
    community,
    *,
    user=None,
    classes: tuple[str, ...] = ("strong", "weak"),
    min_score: float | None = None,
) -> QuerySet[TieStrength]:
    """Return the community's current ties (default strong and weak), strongest first; with
    *user*, only that member's."""
    qs = TieStrength.objects.filter(community=community)
    if classes:
        qs = qs.filter(tie_class__in=classes)
    if min_score is not None:
        qs = qs.filter(score__gte=min_score)
    if user is not None:
        qs = qs.filter(Q(user_a=user) | Q(user_b=user))
    return qs.order_by("-score", "user_a_id", "user_b_id")


@dataclass(frozen=True)
class MetricsStatus:
    """What the dashboard says about freshness: running, pending, failed or stale."""

    computed_at: datetime | None
    pending_since: datetime | None
    running_since: datetime | None
    last_error: str
    stale: bool


def metrics_status(community, snapshot: MetricsSnapshot | None = None) -> MetricsStatus:
    """Return the freshness of the community's metrics.

    *Running*: a run started after the last one finished, less than an hour ago (a run that
    started longer ago than that died; its message is delivered again). *Stale*: no snapshot, or
    the latest is older than twice the schedule.
    """
    state = MetricsState.objects.filter(community=community).first()
    now = timezone.now()
    schedule = timedelta(seconds=pipeline_settings().schedule_seconds)
    running = None
    if state is not None and state.started_at is not None:
        unfinished = state.finished_at is None or state.started_at > state.finished_at
        if unfinished and state.started_at > now - timedelta(hours=1):
            running = state.started_at
    computed_at = snapshot.computed_at if snapshot is not None else None
    return MetricsStatus(
        computed_at=computed_at,
        pending_since=state.pending_since if state else None,
        running_since=running,
        last_error=state.last_error if state else "",
        stale=snapshot is None or snapshot.as_of < now - 2 * schedule,
    )
