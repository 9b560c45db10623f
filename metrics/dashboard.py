"""What the dashboard pages show: what ``metrics.selectors`` reads, turned into charts and tables.

Pages never compute metrics: the selectors read the last committed snapshot, its member rows, the
tie table and the snapshot history and resolve names at render time (``data`` holds user ids
only); this module builds the SVG charts and the status line from them. Every read runs a fixed
number of queries whatever the community size (the drawing and the tables are bounded), which the
view tests check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from communities.models import Community
from metrics import charts, selectors
from metrics.compute.levels import LEVEL_RANK
from metrics.conf import pipeline_settings
from metrics.models import Level, MemberMetrics, MetricsSnapshot

WINDOWS = ("7", "30", "90")
DEFAULT_WINDOW = "90"
LEVELS = [choice.value for choice in Level]  # high -> low
ACTIVE_LEVELS = ("core", "active", "occasional", "peripheral")
DASHBOARD_NODES = 250  # drawing on the dashboard: readable on a phone
NETWORK_VIEW_NODES = 800  # the network page's bigger drawing


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
    carried = network_carried_forward(snapshot)
    if carried:
        notices.append(carried)
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


def network_carried_forward(snapshot: MetricsSnapshot | None) -> str:
    """Say when the snapshot's betweenness, brokers and drawing were carried forward from an
    earlier run (the ties barely changed since: ``metrics.pipeline.network_reuse``), else ""."""
    network = ((snapshot.data or {}) if snapshot else {}).get("network") or {}
    carried = network.get("carried_forward")
    if not carried:
        return ""
    since = parse_datetime(carried.get("from") or "")
    tolerance = charts.clean(carried.get("tolerance"))
    if since is None or tolerance is None:
        return ""
    if carried.get("refresh"):
        changed = charts.clean(carried.get("edges_changed")) or 0.0
        return (
            f"Network measures (betweenness, brokers and the drawing) from {_when(since)}: "
            f"the ties changed by {changed * 100:.1f}% since, more than {tolerance * 100:g}%, "
            "so they are being computed afresh; this page shows them once done."
        )
    return (
        f"Network measures (betweenness, brokers and the drawing) from {_when(since)}: "
        f"the ties changed less than {tolerance * 100:g}% since."
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


# --- figures from a snapshot --------------------------------------------------------------------


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
    community=None,
    show_names: bool,
    limit: int,
    chart_id: str,
    width: int = 640,
    height: int = 480,
    groups: dict[int, str] | None = None,
    show_scores: bool = False,
) -> tuple[charts.Chart, list[tuple[str | None, str]], dict]:
    """The network of the snapshot: the *limit* most central positioned members with ties,
    their ties above the network threshold, the group legend and counts for the caption. Each
    person's ties and betweenness are in their label only with *show_scores* (moderators)."""
    groups = groups if groups is not None else selectors.group_names()
    rows = selectors.drawn_members(snapshot, limit=limit)
    ids = [r["user_id"] for r in rows]
    tie_rows = selectors.drawn_edges(snapshot, ids)
    names = selectors.people(ids, community=community or snapshot.community) if show_names else {}
    use_betweenness = any((charts.clean(r["betweenness"]) or 0) > 0 for r in rows)
    nodes = []
    for rank, r in enumerate(rows, start=1):
        group = groups.get(r["professional_group_id"])
        # A member who is not to be named stays unlabelled: a number, like an outsider's view.
        person = names.get(r["user_id"], {})
        label = person.get("name") if show_names and person.get("username") else None
        nodes.append(
            charts.Node(
                key=r["user_id"],
                x=r["x"],
                y=r["y"],
                size=r["betweenness"] if use_betweenness else r["degree"],
                group=group,
                label=label or f"Member #{rank}",
                detail=(
                    f"{r['degree']} ties, betweenness {charts.fmt(r['betweenness'], 3)}"
                    if show_scores
                    else ""
                ),
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
    # The list of people beside the drawing: by name, linked to their profiles; only where names
    # are shown (an outsider's drawing has numbers, and a list of numbers helps nobody).
    if show_names:
        for person in chart.people:
            person["username"] = names.get(person["key"], {}).get("username")
        chart.people.sort(key=lambda p: p["label"].casefold())
    else:
        chart.people = []
    present_groups = sorted({n.group for n in nodes}, key=lambda g: (g is None, g or ""))
    legend = [
        (g or "No group given", colours.get(g, charts.NO_GROUP_COLOUR)) for g in present_groups
    ]
    return chart, legend, counts


def brokers_chart(
    data: dict, *, show_names: bool, names: dict[int, dict], groups: dict[int, str]
) -> charts.Chart:
    network = (data or {}).get("network") or {}
    brokers = (network.get("top_brokers") or [])[: selectors.BROKERS_SHOWN]
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
        title="Top brokers: who links people who would not otherwise meet",
        items=items,
        value_label="Betweenness (share of shortest paths through the member)",
        headers=["Member", "Professional group", "Ties", "Betweenness"],
        table_rows=rows,
    )


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
