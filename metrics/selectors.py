"""Reads of stored metrics that views, exports and commands share (callers check permissions)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from communities.models import UNNAMED_MEMBER, Community, ProfessionalGroup, Profile
from communities.permissions import dashboard_name, named_on_dashboards
from metrics.compute.levels import LEVEL_RANK
from metrics.conf import pipeline_settings
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, NetworkEdge, TieStrength

HISTORY_LIMIT = 52  # points on a trend chart: a year of weekly or four of monthly snapshots
EDGE_LIMIT = 6000  # strongest ties drawn among the drawn nodes; the SVG stays under ~1 MB
BROKERS_SHOWN = 10
DETAIL_LIST = 20


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


def snapshots(community) -> QuerySet[MetricsSnapshot]:
    """Return the community's snapshots without their member-level config, for paging through
    the history (callers order and slice)."""
    return MetricsSnapshot.objects.filter(community=community).only(
        "pk", "community_id", "as_of", "computed_at", "duration_ms", "betweenness_exact", "data"
    )


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


# --- the dashboard pages -------------------------------------------------------------------------


def snapshot_points(community: Community, limit: int = HISTORY_LIMIT) -> list[tuple]:
    """Return (as_of, data) of the latest *limit* snapshots, oldest first."""
    rows = list(
        MetricsSnapshot.objects.filter(community=community)
        .order_by("-as_of")
        .values_list("as_of", "data")[:limit]
    )
    rows.reverse()
    return rows


def group_names() -> dict[int, str]:
    """Return the name of every professional group by id."""
    return dict(ProfessionalGroup.objects.values_list("id", "name"))


def people(user_ids, *, community: Community) -> dict[int, dict]:
    """Return the name, username and group of each user id as *community*'s dashboards show
    them (one query): a member who is not to be named there is "A member", without username.
    *user_ids* may be a values() queryset, which becomes a subquery (no parameter per member)."""
    result = {}
    if not isinstance(user_ids, QuerySet):
        user_ids = list(user_ids)
    for row in Profile.objects.filter(user_id__in=user_ids).values(
        "user_id", "display_name", "user__username", "professional_group__name", "dashboard_naming"
    ):
        named = named_on_dashboards(row["dashboard_naming"], community)
        result[row["user_id"]] = {
            "name": (row["display_name"] or row["user__username"]) if named else UNNAMED_MEMBER,
            "username": row["user__username"] if named else None,
            "group": row["professional_group__name"],
        }
    return result


def drawn_members(snapshot: MetricsSnapshot, *, limit: int) -> list[dict]:
    """Return the *limit* most central positioned members with ties (the network drawing)."""
    return list(
        MemberMetrics.objects.filter(snapshot=snapshot, x__isnull=False, y__isnull=False)
        .filter(degree__gt=0)
        .order_by("-betweenness", "-degree", "user_id")
        .values("user_id", "x", "y", "betweenness", "degree", "professional_group_id", "level")[
            :limit
        ]
    )


def drawn_edges(snapshot: MetricsSnapshot, user_ids: list[int]) -> list[tuple]:
    """Return the strongest network edges among *user_ids* (a, b, score, class)."""
    if not user_ids:
        return []
    return list(
        NetworkEdge.objects.filter(
            snapshot=snapshot, user_a_id__in=user_ids, user_b_id__in=user_ids
        )
        .order_by("-score", "user_a_id", "user_b_id")
        .values_list("user_a_id", "user_b_id", "score", "tie_class")[:EDGE_LIMIT]
    )


def _rank_expr(field_name: str):
    return Case(
        *[When(**{field_name: level}, then=Value(rank)) for level, rank in LEVEL_RANK.items()],
        default=Value(-1),
        output_field=IntegerField(),
    )


def ranked_member_rows(snapshot: MetricsSnapshot):
    """Return the member rows of *snapshot* with their users and profiles (for tables).

    Prefetched rather than joined: a page sorts and cuts the member rows first (the index on
    snapshot and betweenness) and then fetches 50 users; a join made PostgreSQL join all 10,000
    rows before sorting (240 ms instead of a few on the 10,000-member benchmark)."""
    return (
        MemberMetrics.objects.filter(snapshot=snapshot)
        .prefetch_related("user__profile")
        .annotate(level_rank=_rank_expr("level"), previous_rank=_rank_expr("previous_level"))
    )


def drifting_away(snapshot: MetricsSnapshot, limit: int = DETAIL_LIST):
    """Return the members on an outbound trajectory or who moved down a level since the last
    snapshot."""
    return list(
        ranked_member_rows(snapshot)
        .filter(
            Q(trajectory="outbound") | Q(previous_rank__gt=F("level_rank"), previous_rank__gte=0)
        )
        .order_by("-previous_rank", "level_rank", "user_id")[:limit]
    )


def rising(snapshot: MetricsSnapshot, limit: int = DETAIL_LIST):
    """Return the members on an inbound trajectory or who moved up a level since the last
    snapshot."""
    return list(
        ranked_member_rows(snapshot)
        .filter(
            Q(trajectory="inbound") | Q(previous_rank__lt=F("level_rank"), previous_rank__gte=0)
        )
        .order_by("-level_rank", "previous_rank", "user_id")[:limit]
    )


def top_brokers_rows(snapshot: MetricsSnapshot, limit: int = BROKERS_SHOWN):
    """Return the member rows with the highest betweenness."""
    return list(
        ranked_member_rows(snapshot)
        .filter(betweenness__gt=0)
        .order_by("-betweenness", "user_id")[:limit]
    )


def my_ties(community: Community, user) -> list[dict]:
    """Return the member's ties in *community*, strongest first, with the partner's name."""
    rows = (
        TieStrength.objects.filter(community=community)
        .filter(Q(user_a=user) | Q(user_b=user))
        .select_related("user_a__profile", "user_b__profile")
        .order_by("-score", "pk")
    )
    result = []
    for tie in rows:
        partner = tie.user_b if tie.user_a_id == user.pk else tie.user_a
        name = dashboard_name(partner, community)
        result.append(
            {
                "partner": partner,
                "name": name,
                "named": name != UNNAMED_MEMBER,
                "score": tie.score,
                "tie_class": tie.tie_class,
                "reciprocity": tie.reciprocity,
                "multiplexity": tie.multiplexity,
                "duration": tie.duration,
                "last_at": tie.last_at,
            }
        )
    return result


def my_history(community: Community, user, limit: int = HISTORY_LIMIT) -> list[MemberMetrics]:
    """Return the member's rows in the latest *limit* snapshots, oldest first."""
    rows = list(
        MemberMetrics.objects.filter(snapshot__community=community, user=user)
        .select_related("snapshot")
        .only(
            "level",
            "previous_level",
            "trajectory",
            "strong_ties",
            "weak_ties",
            "active_days",
            "snapshot__as_of",
            "snapshot__computed_at",
        )
        .order_by("-snapshot__as_of")[:limit]
    )
    rows.reverse()
    return rows
