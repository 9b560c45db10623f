"""What the dashboard pages show: reads of the stored snapshots turned into charts and tables.

Pages never compute metrics: they read the last committed snapshot, its member rows, the tie
table and the snapshot history, resolve names at render time (``data`` holds user ids only) and
build SVG charts. Every function here runs a fixed number of queries whatever the community size
(the drawing and the tables are bounded), which the view tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from communities.models import Community, ProfessionalGroup, Profile, display_name
from metrics import charts, selectors
from metrics.conf import pipeline_settings
from metrics.models import Level, MemberMetrics, MetricsSnapshot, NetworkEdge, TieStrength

WINDOWS = ("7", "30", "90")
DEFAULT_WINDOW = "90"
LEVELS = [choice.value for choice in Level]  # high -> low
LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}  # dormant 0 .. core 4
ACTIVE_LEVELS = ("core", "active", "occasional", "peripheral")
HISTORY_LIMIT = 52  # points on a trend chart: a year of weekly or four of monthly snapshots
DASHBOARD_NODES = 250  # drawing on the dashboard: readable on a phone
NETWORK_VIEW_NODES = 800  # the network page's bigger drawing
EDGE_LIMIT = 6000  # strongest ties drawn among the drawn nodes; the SVG stays under ~1 MB
BROKERS_SHOWN = 10
DETAIL_LIST = 20


# --- state of the computation --------------------------------------------------------------------


def schedule_seconds() -> int:
    return int(pipeline_settings().schedule_seconds)


def humanize_seconds(seconds: float) -> str:
    if seconds < 90:
        return "a minute"
    if seconds < 3600 * 1.5:
        minutes = round(seconds / 60)
        return "an hour" if minutes >= 55 else f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours < 36:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"


@dataclass
class Status:
    """How fresh the shown numbers are and whether a run is under way or failed."""

    kind: str  # "fresh" | "stale" | "running" | "pending" | "error" | "none"
    message: str
    computed_at: datetime | None = None
    error: str = ""
    notices: list[str] = field(default_factory=list)


def computation_status(
    *, community: Community, snapshot: MetricsSnapshot | None, now: datetime | None = None
) -> Status:
    """Say how fresh the figures are, from the run state (selectors.metrics_status: running
    means started after the last finish and less than an hour ago; stale means older than twice
    the schedule)."""
    state = selectors.metrics_status(community, snapshot)
    now = now or timezone.now()
    every = schedule_seconds()
    notices = []
    kind = "fresh" if snapshot else "none"
    if state.running_since:
        kind = "running"
        notices.append(f"Recomputing since {_when(state.running_since)}.")
    elif state.pending_since:
        kind = "pending"
        notices.append(f"A recompute was requested at {_when(state.pending_since)}.")
    if state.last_error:
        notices.append(
            "The last run failed; "
            + (
                "the figures below are from the last good run."
                if snapshot
                else "it will be retried."
            )
        )
        if kind in ("fresh", "none"):
            kind = "error"
    if snapshot and state.stale:
        age = humanize_seconds((now - snapshot.as_of).total_seconds())
        notices.append(
            f"These figures are stale: they describe the community {age} ago, and runs are due "
            f"every {humanize_seconds(every)}."
        )
        if kind == "fresh":
            kind = "stale"
    if snapshot:
        message = f"Computed at {_when(snapshot.computed_at)} (data as of {_when(snapshot.as_of)})."
    else:
        message = (
            "Metrics are computed in the background; first results appear within "
            f"{humanize_seconds(every)} of activity in this community."
        )
    return Status(
        kind=kind,
        message=message,
        computed_at=snapshot.computed_at if snapshot else None,
        error=state.last_error,
        notices=notices,
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


# --- reads ---------------------------------------------------------------------------------------


latest_snapshot = selectors.latest_snapshot


def snapshot_history(community: Community, limit: int = HISTORY_LIMIT) -> list[tuple]:
    """(as_of, data) of the latest *limit* snapshots, oldest first."""
    rows = list(
        MetricsSnapshot.objects.filter(community=community)
        .order_by("-as_of")
        .values_list("as_of", "data")[:limit]
    )
    rows.reverse()
    return rows


def group_names() -> dict[int, str]:
    return dict(ProfessionalGroup.objects.values_list("id", "name"))


def people(user_ids) -> dict[int, dict]:
    """Name, username and group of each user id (one query). *user_ids* may be a values()
    queryset, which becomes a subquery (no parameter per member)."""
    result = {}
    if not isinstance(user_ids, QuerySet):
        user_ids = list(user_ids)
    for row in Profile.objects.filter(user_id__in=user_ids).values(
        "user_id", "display_name", "user__username", "professional_group__name"
    ):
        result[row["user_id"]] = {
            "name": row["display_name"] or row["user__username"],
            "username": row["user__username"],
            "group": row["professional_group__name"],
        }
    return result


def network_threshold(snapshot: MetricsSnapshot) -> float:
    """Ties at or above this score are the network's edges (as the run used them)."""
    config = snapshot.config or {}
    ties = (snapshot.data or {}).get("ties") or {}
    for value in (config.get("network_min_score"), ties.get("weak_threshold")):
        number = charts.clean(value)
        if number is not None:
            return number
    return 0.1


def _label(snapshot_time: datetime) -> str:
    return timezone.localtime(snapshot_time).strftime("%Y-%m-%d")


def window_figures(data: dict, window: str) -> dict:
    return ((data or {}).get("windows") or {}).get(window) or {}


# --- charts from the history ---------------------------------------------------------------------


def trend_charts(history: list[tuple], *, window: str) -> dict[str, charts.Chart]:
    labels = [_label(as_of) for as_of, _ in history]
    datas = [data or {} for _, data in history]
    levels = [d.get("levels") or {} for d in datas]
    level_chart = charts.stacked_chart(
        chart_id="chart-levels",
        title="Participation levels over time",
        labels=labels,
        layers=[(name.capitalize(), [lv.get(name) for lv in levels]) for name in ACTIVE_LEVELS],
        colours=charts.LEVEL_COLOURS,
        x_label="Snapshot",
        y_label="Members",
        extra_columns=[("Dormant", [lv.get("dormant") for lv in levels])],
    )
    ttfr = [window_figures(d, window).get("ttfr_hours") or {} for d in datas]
    ttfr_chart = charts.line_chart(
        chart_id="chart-ttfr",
        title=f"Time to first response ({window}-day window)",
        labels=labels,
        series=[
            ("Median", [t.get("median") for t in ttfr]),
            ("90th percentile", [t.get("p90") for t in ttfr]),
        ],
        x_label="Snapshot",
        y_label="Hours",
        unit=" h",
    )
    ties = [d.get("ties") or {} for d in datas]
    ties_chart = charts.line_chart(
        chart_id="chart-ties",
        title="Strong and weak ties over time",
        labels=labels,
        series=[
            ("Strong ties", [t.get("strong") for t in ties]),
            ("Weak ties", [t.get("weak") for t in ties]),
        ],
        x_label="Snapshot",
        y_label="Pairs of members",
    )
    return {"levels": level_chart, "ttfr": ttfr_chart, "ties": ties_chart}


def posts_chart(data: dict) -> charts.Chart:
    weeks = (data or {}).get("posts_per_week") or []
    return charts.bar_chart(
        chart_id="chart-posts",
        title="Posts per week",
        labels=[str(w.get("week_start", ""))[5:] for w in weeks],
        values=[w.get("posts") for w in weeks],
        x_label="Week starting (month-day)",
        y_label="Posts",
    )


# --- the network drawing -------------------------------------------------------------------------


def drawing(
    *,
    snapshot: MetricsSnapshot,
    show_names: bool,
    limit: int,
    chart_id: str,
    width: int = 640,
    height: int = 480,
    groups: dict[int, str] | None = None,
) -> tuple[charts.Chart, list[tuple[str | None, str]], dict]:
    """The network of the snapshot: the *limit* most central positioned members with ties,
    their ties above the network threshold, the group legend and counts for the caption."""
    groups = groups if groups is not None else group_names()
    rows = list(
        MemberMetrics.objects.filter(snapshot=snapshot, x__isnull=False, y__isnull=False)
        .filter(degree__gt=0)
        .order_by("-betweenness", "-degree", "user_id")
        .values("user_id", "x", "y", "betweenness", "degree", "professional_group_id", "level")[
            :limit
        ]
    )
    ids = [r["user_id"] for r in rows]
    tie_rows = (
        list(
            NetworkEdge.objects.filter(snapshot=snapshot, user_a_id__in=ids, user_b_id__in=ids)
            .order_by("-score", "user_a_id", "user_b_id")
            .values_list("user_a_id", "user_b_id", "score", "tie_class")[:EDGE_LIMIT]
        )
        if ids
        else []
    )
    names = people(ids) if show_names else {}
    use_betweenness = any((charts.clean(r["betweenness"]) or 0) > 0 for r in rows)
    nodes = []
    for rank, r in enumerate(rows, start=1):
        group = groups.get(r["professional_group_id"])
        label = names.get(r["user_id"], {}).get("name") if show_names else None
        nodes.append(
            charts.Node(
                key=r["user_id"],
                x=r["x"],
                y=r["y"],
                size=r["betweenness"] if use_betweenness else r["degree"],
                group=group,
                label=label or f"Member #{rank}",
                detail=f"{r['degree']} ties, betweenness {charts.fmt(r['betweenness'], 3)}",
            )
        )
    edges = [charts.Edge(a, b, score, tie_class) for a, b, score, tie_class in tie_rows]
    colours = charts.group_colours(sorted(set(groups.values())))
    network = (snapshot.data or {}).get("network") or {}
    counts = {
        "drawn_nodes": len(nodes),
        "drawn_edges": len(edges),
        "nodes": network.get("nodes"),
        "edges": network.get("edges"),
        "isolates": network.get("isolates"),
        "sized_by": "betweenness" if use_betweenness else "number of ties",
    }
    summary = (
        f"The tie network: {len(nodes)} of {charts.fmt(network.get('nodes'))} members "
        f"(the most central, members without ties left out) and {len(edges)} ties drawn; "
        "colour shows the professional group, size the "
        f"{counts['sized_by']}, line width the tie strength."
        if nodes
        else "The tie network: no ties yet."
    )
    chart = charts.network_chart(
        chart_id=chart_id,
        nodes=nodes,
        edges=edges,
        colours=colours,
        width=width,
        height=height,
        summary=summary,
    )
    present_groups = sorted({n.group for n in nodes}, key=lambda g: (g is None, g or ""))
    legend = [
        (g or "No group given", colours.get(g, charts.NO_GROUP_COLOUR)) for g in present_groups
    ]
    return chart, legend, counts


def brokers_chart(
    data: dict, *, show_names: bool, names: dict[int, dict], groups: dict[int, str]
) -> charts.Chart:
    network = (data or {}).get("network") or {}
    brokers = (network.get("top_brokers") or [])[:BROKERS_SHOWN]
    colours = charts.group_colours(sorted(set(groups.values())))  # the drawing's colours
    items, rows = [], []
    for rank, b in enumerate(brokers, start=1):
        person = names.get(b.get("user_id")) if show_names else None
        label = person["name"] if person else f"Member #{rank}"
        if b.get("group") and not show_names:
            label += f" ({b['group']})"
        items.append((label, b.get("betweenness"), colours.get(b.get("group"), charts.PALETTE[0])))
        rows.append(
            [
                label,
                b.get("group") or "—",
                charts.fmt(b.get("degree")),
                charts.fmt(b.get("betweenness"), 3),
            ]
        )
    return charts.hbar_chart(
        chart_id="chart-brokers",
        title="Top brokers (betweenness centrality)",
        items=items,
        value_label="Betweenness (share of shortest paths through the member)",
        headers=["Member", "Professional group", "Ties", "Betweenness"],
        table_rows=rows,
    )


# --- member-level reads (moderators, "my network") -----------------------------------------------


def _rank_expr(field_name: str):
    return Case(
        *[When(**{field_name: level}, then=Value(rank)) for level, rank in LEVEL_RANK.items()],
        default=Value(-1),
        output_field=IntegerField(),
    )


def member_rows(snapshot: MetricsSnapshot):
    """Member rows of *snapshot* with their users and profiles (for tables).

    Prefetched rather than joined: a page sorts and cuts the member rows first (the index on
    snapshot and betweenness) and then fetches 50 users; a join made PostgreSQL join all 10,000
    rows before sorting (240 ms instead of a few on the 10,000-member benchmark)."""
    return (
        MemberMetrics.objects.filter(snapshot=snapshot)
        .prefetch_related("user__profile")
        .annotate(level_rank=_rank_expr("level"), previous_rank=_rank_expr("previous_level"))
    )


def drifting_away(snapshot: MetricsSnapshot, limit: int = DETAIL_LIST):
    """Members on an outbound trajectory or who moved down a level since the last snapshot."""
    return list(
        member_rows(snapshot)
        .filter(
            Q(trajectory="outbound") | Q(previous_rank__gt=F("level_rank"), previous_rank__gte=0)
        )
        .order_by("-previous_rank", "level_rank", "user_id")[:limit]
    )


def rising(snapshot: MetricsSnapshot, limit: int = DETAIL_LIST):
    """Members on an inbound trajectory or who moved up a level since the last snapshot."""
    return list(
        member_rows(snapshot)
        .filter(
            Q(trajectory="inbound") | Q(previous_rank__lt=F("level_rank"), previous_rank__gte=0)
        )
        .order_by("-level_rank", "previous_rank", "user_id")[:limit]
    )


def top_brokers_rows(snapshot: MetricsSnapshot, limit: int = BROKERS_SHOWN):
    return list(
        member_rows(snapshot).filter(betweenness__gt=0).order_by("-betweenness", "user_id")[:limit]
    )


def my_ties(community: Community, user) -> list[dict]:
    """The member's ties in *community*, strongest first, with the partner's name."""
    rows = (
        TieStrength.objects.filter(community=community)
        .filter(Q(user_a=user) | Q(user_b=user))
        .select_related("user_a__profile", "user_b__profile")
        .order_by("-score", "pk")
    )
    result = []
    for tie in rows:
        partner = tie.user_b if tie.user_a_id == user.pk else tie.user_a
        result.append(
            {
                "partner": partner,
                "name": display_name(partner),
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


def my_level_chart(history: list[MemberMetrics]) -> charts.Chart:
    labels = [_label(row.snapshot.as_of) for row in history]
    ranks = [LEVEL_RANK.get(row.level) for row in history]
    tick_labels = {float(rank): level.capitalize() for level, rank in LEVEL_RANK.items()}
    return charts.line_chart(
        chart_id="chart-my-level",
        title="Your participation level over time",
        labels=labels,
        series=[("Level", ranks)],
        x_label="Snapshot",
        y_label="Level",
        y_tick_labels=tick_labels,
        y_max=4.0,
        value_format=lambda v: {r: lv for lv, r in LEVEL_RANK.items()}.get(
            int(v), "—"
        ).capitalize(),
    )
