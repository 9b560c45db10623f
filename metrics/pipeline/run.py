"""Compute a run's result: read the community and compute every figure, writing nothing.

Outside any transaction: readers keep the previous snapshot while this runs, and ``store`` writes
the result at once. Each step below is one part of the snapshot; ``compute_run`` times them.
"""

from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import numpy as np

from metrics import collect
from metrics.compute.config import MetricsConfig
from metrics.compute.layout import network_layout
from metrics.compute.levels import (
    MemberActivity,
    Transitions,
    assign_levels,
    brokers,
    level_counts,
    newcomer_retention,
    trajectory,
    trajectory_counts,
    transitions,
)
from metrics.compute.network import NetworkResult, network_measures
from metrics.compute.pairs import (
    PairTable,
    TableScores,
    mean_multiplexity_of,
    merge,
    repeat_pair_rate_of,
    score_table,
    summary_of,
    tie_scores,
    ties_per_member,
)
from metrics.compute.participation import (
    ThreadRecord,
    at_risk_questions,
    continuity,
    posts_per_week_of_counts,
    response_figures,
)
from metrics.compute.spectrum import spectrum
from metrics.compute.stats import concentration
from metrics.conf import metrics_config
from metrics.models import MetricsSnapshot
from metrics.pipeline import participation as participation_reads
from metrics.pipeline.activity import RunActivity, run_activity
from metrics.pipeline.alongside import read_alongside, reads_alongside_possible
from metrics.pipeline.cache import KeptThreads, cached_ties
from metrics.pipeline.history import TAKING_PART, levels_of, past_snapshots, taking_part_elsewhere
from metrics.pipeline.network_reuse import carry_forward, network_base, refresh_in_background
from metrics.pipeline.plan import Plan
from metrics.pipeline.stopwatch import Stopwatch
from metrics.pipeline.threads import run_threads
from metrics.pipeline.times import iso, midnight, window_start

SCHEMA = "practica.metrics/1"
# A stored tie score (the member's own ties page reads it) is rewritten once it is this far from
# the current one; the pair's state is rewritten only when new interactions changed it.
SCORE_REFRESH = 0.01
# How hard a tie pulls in the network drawing, by class (see layout_of).
LAYOUT_WEIGHTS = {"strong": 2.0, "weak": 1.0}


@dataclass
class TieWrites:
    """What a current run changes in the tie table: rows to upsert (positions in the new table,
    in key order), pairs to delete (a full run: pairs the log no longer has), and the table as
    stored once written (a worker keeps it for its next run)."""

    upsert: np.ndarray
    delete_a: np.ndarray
    delete_b: np.ndarray
    stored_after: collect.StoredTies


@dataclass
class RunResult:
    data: dict
    member_rows: list[tuple]  # MEMBER_ROW_FIELDS of each member, in user id order
    edges: list  # TieScore of the network's edges, in key order
    edge_positions: np.ndarray  # the edges' positions in table (the store writes the columns)
    table: PairTable
    scores: TableScores
    tie_writes: TieWrites | None  # None: a past run, which leaves the tie table alone
    betweenness_exact: bool
    config: MetricsConfig
    # Betweenness, brokers and the drawing were carried forward beyond the tolerance: a task
    # computes them once this is stored (pipeline.network_refresh).
    network_refresh: bool = False
    # The activity per member and day (a current run keeps it for the next: pipeline.activity)
    # and the activity marks it took into account (deleted when it is stored).
    activity: collect.Activity | None = None
    activity_marks_seen: list[int] = field(default_factory=list)
    # The thread rows behind the records (kept the same way: pipeline.threads) and the thread
    # marks taken into account.
    threads: KeptThreads | None = None
    thread_marks_seen: list[int] = field(default_factory=list)
    # The days where *activity* may differ from the kept run's (pipeline.activity); None: any.
    activity_days_changed: list[date] | None = None


@dataclass
class _Ties:
    table: PairTable  # every pair's state: the stored table plus the new log rows, or the log
    scores: TableScores  # every pair's tie as of as_of, aligned with the table
    members: np.ndarray  # bool: both ends are current members
    edges: list  # TieScore of the member ties at or above the network threshold, key order
    edge_positions: np.ndarray  # their positions in table
    strong: Counter[int]  # strong ties per member
    weak: Counter[int]
    writes: TieWrites | None


@dataclass
class _Levels:
    activity: collect.Activity
    in_level_window: dict
    levels: dict[int, str]
    activity_marks_seen: list[int]
    activity_days_changed: list[date] | None


@dataclass
class _Past:
    previous: MetricsSnapshot | None
    previous_levels: dict[int, str]
    moved: Transitions
    trajectories: dict[int, str]


def compute_run(plan: Plan) -> RunResult:
    """Read and compute everything; write nothing."""
    config = metrics_config()
    clock = Stopwatch()
    table_read = _tie_table_alongside(plan)
    members = collect.members_at(plan.community_id, plan.as_of)
    member_ids = set(members)
    clock.lap("members")
    # Read before the ties (it needs none of them): a tie table read alongside loads meanwhile.
    activity_read = run_activity(plan, longest_days=config.longest_window_days)
    clock.lap("activity")
    ties = _ties(plan, member_ids, config, clock, table_read)
    levels = _levels(member_ids, ties, activity_read, plan, config)
    clock.lap("levels")
    base = (
        network_base(
            community_id=plan.community_id,
            as_of=plan.as_of,
            member_ids=member_ids,
            edges=ties.edges,
            defer=refresh_in_background(),
        )
        if plan.current
        else None
    )
    network = network_measures(
        members=member_ids,
        ties=ties.edges,
        groups={u: m.group_name for u, m in members.items()},
        config=config,
        with_betweenness=base is None,
    )
    if base is not None:
        network = carry_forward(network, base)
    clock.lap("network")
    past = _past(plan, member_ids, levels.levels, network, config)
    clock.lap("history")
    threads = run_threads(
        plan,
        since=window_start(plan.as_of, config.longest_window_days),
        moderator_ids={u for u, m in members.items() if m.is_moderator},
    )
    data = _snapshot_data(plan, members, ties, levels, network, past, threads.records, config)
    clock.lap("participation")
    edges = ties.edges
    positions = base.positions if base is not None else layout_of(member_ids, edges, config)
    clock.lap("layout")
    return RunResult(
        data=json_safe(data),
        member_rows=_member_rows(members, ties, levels, network, past, positions),
        edges=edges,
        edge_positions=ties.edge_positions,
        table=ties.table,
        scores=ties.scores,
        tie_writes=ties.writes,
        betweenness_exact=bool(data["network"].get("betweenness_exact", True)),
        config=config,
        network_refresh=base is not None and base.refresh,
        activity=levels.activity,
        activity_marks_seen=levels.activity_marks_seen,
        threads=threads.kept,
        thread_marks_seen=threads.marks_seen,
        activity_days_changed=levels.activity_days_changed,
    )


def _tie_table_alongside(plan: Plan) -> Future[collect.StoredTies] | None:
    """Start reading the stored tie table on a second connection (``pipeline.alongside``) when
    a current run needs it from the database: it loads while the run reads its members, the
    activity and (a full run) the whole log. None: the worker kept it, or no second read."""
    if not plan.current or not reads_alongside_possible():
        return None
    if cached_ties(plan.community_id, token=plan.ties_token_seen, ref=plan.ref) is not None:
        return None
    return read_alongside(partial(collect.load_tie_table, plan.community_id, ref=plan.ref))


def _ties(
    plan: Plan,
    member_ids: set[int],
    config: MetricsConfig,
    clock: Stopwatch,
    table_read: Future[collect.StoredTies] | None = None,
) -> _Ties:
    """Bring the pair table up to the plan (the stored table plus the new log rows, or the
    whole log up to as_of) and score every pair in one vectorised pass. *table_read*: the
    stored table, being read alongside."""
    as_of_s = plan.as_of.timestamp()
    stored = None
    if plan.current and table_read is None:
        stored = cached_ties(plan.community_id, token=plan.ties_token_seen, ref=plan.ref)
        if stored is None:
            stored = collect.load_tie_table(plan.community_id, ref=plan.ref)
    clock.lap("ties_load")
    if plan.full:
        table = collect.log_pair_table(
            plan.community_id,
            after_pk=0,
            upto_pk=plan.upto_pk,
            until=None if plan.current else plan.as_of,
            ref=plan.ref,
            config=config,
        )
        touched = None
    else:
        # Only the interactions logged since the last run: their sums add to their pairs'.
        delta = collect.log_pair_table(
            plan.community_id,
            after_pk=plan.watermark_seen,
            upto_pk=plan.upto_pk,
            until=None,
            ref=plan.ref,
            config=config,
        )
        if table_read is not None:
            stored = table_read.result()
        table, touched = merge(stored.table, delta)
    if table_read is not None:
        stored = table_read.result()
    clock.lap("ties_fold")
    scores = score_table(table, as_of=as_of_s, config=config)
    member_array = np.fromiter(sorted(member_ids), np.int64, len(member_ids))
    members = np.isin(table.a, member_array) & np.isin(table.b, member_array)
    edge_positions = np.flatnonzero(members & (scores.score >= config.network_min_score))
    edges = tie_scores(table, scores, edge_positions)
    strong = Counter(ties_per_member(table, scores, members, 2))
    weak = Counter(ties_per_member(table, scores, members, 1))
    writes = _tie_writes(table, scores, stored, touched) if stored is not None else None
    clock.lap("ties_score")
    return _Ties(table, scores, members, edges, edge_positions, strong, weak, writes)


def _tie_writes(
    table: PairTable, scores: TableScores, stored: collect.StoredTies, touched
) -> TieWrites:
    """Return the rows of the tie table this run must write: new pairs, pairs whose state
    changed (the pairs new rows touched; in a full run, any pair that differs from the stored
    row), and pairs whose stored score is ``SCORE_REFRESH`` or more away or of another class.
    Ageing alone changes no state: every other row is left as it is."""
    old, keys = stored.table, table.keys()
    old_keys = old.keys()
    at = np.searchsorted(old_keys, keys)
    present = at < len(old_keys)
    present[present] = old_keys[at[present]] == keys[present]
    at = np.where(present, at, 0)
    write = ~present
    if len(old_keys):
        write |= scores.tie_class != stored.tie_class[at]
        write |= np.abs(scores.score - stored.score[at]) >= SCORE_REFRESH
    if touched is not None:
        write[touched] = True
    elif len(old_keys):
        same_channels = (table.channels == old.channels[at]) | (
            np.isnan(table.channels) & np.isnan(old.channels[at])
        )
        write |= ~(
            (table.units_ab == old.units_ab[at])
            & (table.units_ba == old.units_ba[at])
            & (table.first == old.first[at])
            & (table.last == old.last[at])
            & same_channels.all(axis=1)
            & (table.months == old.months[at])
        )
    gone = np.ones(len(old_keys), bool)
    if len(keys):
        found = np.searchsorted(keys, old_keys)
        inside = found < len(keys)
        gone[inside] = keys[found[inside]] != old_keys[inside]
    stored_after = collect.StoredTies(
        table,
        np.where(write, scores.score, stored.score[at] if len(old_keys) else scores.score),
        np.where(
            write, scores.tie_class, stored.tie_class[at] if len(old_keys) else scores.tie_class
        ).astype(np.int8),
    )
    return TieWrites(np.flatnonzero(write), old.a[gone], old.b[gone], stored_after)


def _levels(
    member_ids: set[int], ties: _Ties, read: RunActivity, plan: Plan, config: MetricsConfig
) -> _Levels:
    """Assign each member a level from the activity per member and day over the longest window
    (*read*: only what changed was read, where a worker kept the previous run's:
    ``pipeline.activity``)."""
    activity = read.activity
    level_since = window_start(plan.as_of, config.level_window_days)
    in_level_window = activity.summary(level_since.timestamp())
    activities = [
        MemberActivity(
            user_id=u,
            active_days=in_level_window.get(u, {}).get("active_days", 0),
            helps=in_level_window.get(u, {}).get("helps", 0),
            contributions=in_level_window.get(u, {}).get("contributions", 0),
            presence=in_level_window.get(u, {}).get("presence", 0),
            strong_ties=ties.strong[u],
        )
        for u in sorted(member_ids)
    ]
    return _Levels(
        activity,
        in_level_window,
        assign_levels(activities, config=config),
        read.marks_seen,
        read.days_changed,
    )


@dataclass
class History:
    """What a member's trajectory builds on besides this run: their levels in the stored
    snapshots at monthly points before as_of (newest first), and in how many other communities
    they take part."""

    past: list[MetricsSnapshot]
    past_levels: dict[int, dict[int, str]]
    elsewhere: dict[int, int]


def history_at(community_id: int, as_of, config: MetricsConfig) -> History:
    """Read the history a run as of *as_of* builds its trajectories on."""
    past = past_snapshots(community_id, as_of, count=max(config.trajectory_snapshots - 1, 1))
    return History(
        past, levels_of([s.pk for s in past]), taking_part_elsewhere(community_id, as_of)
    )


def trajectory_of(
    user_id: int, level: str, history: History, *, broker: bool, config: MetricsConfig
) -> str:
    """Return the member's trajectory: their past levels, then *level*."""
    levels = [
        history.past_levels[s.pk][user_id]
        for s in reversed(history.past)
        if user_id in history.past_levels[s.pk]
    ]
    levels.append(level)
    here = 1 if level in TAKING_PART else 0
    return trajectory(
        levels,
        config=config,
        communities_occasional=here + history.elsewhere.get(user_id, 0),
        broker=broker,
    )


def _past(
    plan: Plan,
    member_ids: set[int],
    levels: dict[int, str],
    network: NetworkResult,
    config: MetricsConfig,
) -> _Past:
    """Compare with the member's levels at monthly points before as_of (stored snapshots):
    transitions since the previous snapshot and each member's trajectory."""
    history = history_at(plan.community_id, plan.as_of, config)
    previous = history.past[0] if history.past else None
    previous_levels = history.past_levels.get(previous.pk, {}) if previous else {}
    moved = transitions(previous_levels, levels)
    broker_ids = brokers(
        {u: p.betweenness for u, p in network.members.items()},
        {u: p.ei for u, p in network.members.items()},
        config=config,
    )
    trajectories = {
        u: trajectory_of(u, levels[u], history, broker=u in broker_ids, config=config)
        for u in member_ids
    }
    return _Past(previous, previous_levels, moved, trajectories)


def _snapshot_data(
    plan: Plan,
    members: dict,
    ties: _Ties,
    levels: _Levels,
    network: NetworkResult,
    past: _Past,
    threads: list[ThreadRecord],
    config: MetricsConfig,
) -> dict:
    """Return the snapshot's ``data``: participation per window and every community figure
    (*threads*: the records of the longest window, ``pipeline.threads``)."""
    cid, as_of = plan.community_id, plan.as_of
    as_of_s = as_of.timestamp()
    longest = config.longest_window_days
    level_since = window_start(as_of, config.level_window_days)
    repertoire = collect.repertoire(cid, since=window_start(as_of, longest), until=as_of)
    windows = {}
    for days in config.windows:
        since = window_start(as_of, days)
        # The level window's summary is already made (levels): one pass over 80,000
        # member-days less in a 10,000-member community.
        active = (
            levels.in_level_window
            if since == level_since
            else levels.activity.summary(since.timestamp())
        )
        windows[str(days)] = _window_figures(
            days=days,
            since=since,
            as_of=as_of,
            members=members,
            active=active,
            threads=threads,
            repertoire=repertoire,
            config=config,
        )
    weeks = config.posts_per_week_weeks
    # Both from the activity the run holds where it covers them (pipeline.participation).
    week_rows = participation_reads.posts_per_day(
        levels.activity, cid, since=midnight(as_of) - timedelta(days=7 * weeks + 7), until=as_of
    )
    current_contributors = participation_reads.contributors_from(
        (u for u, summary in levels.in_level_window.items() if summary["posts"]),
        cid,
        since=level_since,
        until=as_of + timedelta(microseconds=1),
    )
    previous_contributors = collect.contributors_between(
        cid,
        since=level_since - timedelta(days=config.level_window_days),
        until=level_since,
    )
    ties_block = summary_of(ties.scores, ties.members, config)
    net = network.summary
    previous = past.previous
    return {
        "schema": SCHEMA,
        "as_of": iso(as_of),
        "computed_at": None,  # set when written
        "duration_ms": None,
        "windows": windows,
        "posts_per_week": posts_per_week_of_counts(week_rows, as_of=as_of_s, weeks=weeks),
        "levels": level_counts(levels.levels),
        "transitions": past.moved.as_dict(iso(previous.as_of) if previous else None),
        "trajectories": trajectory_counts(past.trajectories),
        "newcomer_retention": newcomer_retention(
            participation_reads.first_and_second_posts(
                cid, until=as_of, since=_cohort_start(as_of, config)
            ),
            as_of=as_of_s,
            config=config,
        ),
        "ties": ties_block,
        "network": net,
        "spectrum": spectrum(
            strong_share=ties_block["strong_share"],
            reciprocity=net["reciprocity"],
            transitivity=net["transitivity"],
            density=net["density"],
            multiplexity=mean_multiplexity_of(ties.scores, ties.members),
            repeat_pairs=repeat_pair_rate_of(ties.scores, ties.members),
            continuity=continuity(current_contributors, previous_contributors),
            config=config,
        ),
        "at_risk_questions": at_risk_questions(threads, as_of=as_of_s, config=config),
        "run": {"full": plan.full, "current": plan.current, "interactions_upto": plan.upto_pk},
    }


def _cohort_start(as_of, config: MetricsConfig):
    """Return a moment before the newcomer-retention cohort's window (a day's margin, so float
    rounding never drops an edge case): members whose first post is earlier are not in it."""
    days = config.level_window_days + config.newcomer_return_days + 1
    return as_of - timedelta(days=days)


def layout_of(member_ids: set[int], edges: list, config: MetricsConfig) -> dict:
    """Return each member's position in the network drawing.

    The drawing pulls by class, not by score: every score decays a little each hour, and a
    force-directed layout turns the smallest change of a weight into a visibly different
    picture. So the drawing moves only when a tie appears, goes or changes class.
    """
    return network_layout(
        sorted(member_ids),
        [(t.a, t.b, LAYOUT_WEIGHTS[t.tie_class]) for t in edges if t.tie_class in LAYOUT_WEIGHTS],
        seed=config.betweenness_seed,
    )


# A member row as a run hands it to the store: the values of these ``MemberMetrics`` fields, in
# this order, one tuple per member (10,000 model instances were about 0.1 s of a run; the store
# writes the tuples by COPY). Every field but the id and the snapshot (tests/metrics check it).
MEMBER_ROW_FIELDS = (
    "user_id",
    "level",
    "previous_level",
    "trajectory",
    "active_days",
    "helps",
    "contributions",
    "presence",
    "strong_ties",
    "weak_ties",
    "degree",
    "strength",
    "betweenness",
    "professional_group_id",
    "x",
    "y",
)


def _member_rows(
    members: dict,
    ties: _Ties,
    levels: _Levels,
    network: NetworkResult,
    past: _Past,
    positions: dict,
) -> list[tuple]:
    """Return one member row (``MEMBER_ROW_FIELDS``) per member, in user id order."""
    member_rows = []
    no_summary: dict = {}
    for u in sorted(members):
        position = network.members.get(u)
        x, y = positions.get(u, (None, None))
        summary = levels.in_level_window.get(u, no_summary)
        member_rows.append(
            (
                u,
                levels.levels[u],
                past.previous_levels.get(u, ""),
                past.trajectories[u],
                summary.get("active_days", 0),
                summary.get("helps", 0),
                summary.get("contributions", 0),
                summary.get("presence", 0),
                ties.strong[u],
                ties.weak[u],
                position.degree if position else 0,
                position.strength if position else 0.0,
                position.betweenness if position else 0.0,
                members[u].group_id,
                x,
                y,
            )
        )
    return member_rows


def _window_figures(*, days, since, as_of, members, active, threads, repertoire, config) -> dict:
    """Return one window's participation figures; *active* is the activity summary since its
    start (``Activity.summary``)."""
    since_s = since.timestamp()
    member_posts = [active[u]["posts"] for u in members if u in active and active[u]["posts"]]
    figures = {
        "days": days,
        "members_total": len(members),
        "members_active": sum(1 for u in members if u in active),
        "members_new": sum(1 for m in members.values() if m.joined_at >= since_s),
        "posts": sum(entry["posts"] for entry in active.values()),
    }
    figures.update(response_figures(threads, since=since_s, until=as_of.timestamp(), config=config))
    figures.update(concentration(member_posts, members_total=len(members), config=config))
    figures.update(
        {
            "repertoire_new": _sum_since(repertoire.published_per_day, since_s),
            "repertoire_total": repertoire.total,
            "worked_reports": _sum_since(repertoire.worked_per_day, since_s),
            "used_reports": _sum_since(repertoire.used_per_day, since_s),
        }
    )
    return figures


def _sum_since(per_day: dict[float, int], since: float) -> int:
    return sum(n for day, n in per_day.items() if day >= since)


def json_safe(value):
    """Return *value* with NaN and infinities as None and tuples as lists (valid, stable JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
