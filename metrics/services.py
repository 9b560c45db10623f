"""Compute, store and schedule a community's metrics.

A run (``metrics_compute``) reads the community's content and interaction log (``metrics.collect``),
computes every figure with the pure functions of ``metrics.compute`` and writes the result in ONE
transaction: the snapshot, its member rows, the tie table and the state's watermark. Readers see
the previous snapshot until that transaction commits; a run that dies half-way writes nothing.

Runs are deterministic: a run as of T (rounded up to the minute) over the same log and content
gives the same ``data``, member rows and network edges, bit for bit, whether it rebuilt the tie
table or folded in only the new rows (a pair's state is an exact function of its log rows, see
``collect.fold_log``); only ``computed_at``, ``duration_ms`` and ``run`` describe the run itself.
A snapshot for the same moment is replaced, never duplicated (``unique (community, as_of)``).

Requests are coalesced (``metrics_request``): the first request after a run wins the right to
enqueue (one atomic upsert ``... WHERE pending_since IS NULL``), later ones add nothing until the
run starts. Under Celery the task waits ``METRICS_DEBOUNCE_SECONDS`` so a burst of posts makes one
run. In the embedded default (no broker, tasks eager) the run happens in-process after the commit,
unless one finished less than the debounce ago: then the request stays pending and the next
request after the debounce runs it (or ``manage.py compute_metrics``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from communities.models import Community
from metrics import collect
from metrics.compute.config import MetricsConfig
from metrics.compute.layout import network_layout
from metrics.compute.levels import (
    MemberActivity,
    assign_levels,
    brokers,
    level_counts,
    newcomer_retention,
    trajectory,
    trajectory_counts,
    transitions,
)
from metrics.compute.network import network_measures
from metrics.compute.participation import (
    at_risk_questions,
    continuity,
    posts_per_week,
    response_figures,
)
from metrics.compute.spectrum import mean_multiplexity, repeat_pair_rate, spectrum
from metrics.compute.stats import concentration
from metrics.compute.ties import score_all, tie_summary
from metrics.conf import metrics_config, pipeline_settings
from metrics.models import (
    Level,
    MemberMetrics,
    MetricsSnapshot,
    MetricsState,
    NetworkEdge,
    TieStrength,
)

logger = logging.getLogger(__name__)

SCHEMA = "practica.metrics/1"
# Rows per INSERT of member rows and ties: SQLite limits bound variables (17 columns x 1,000 rows
# stays under its 32,766); on PostgreSQL fewer, larger statements are faster.
WRITE_BATCH_SIZE = 1000
# Levels at or above occasional: a member "takes part" (boundary trajectories).
TAKING_PART = (Level.CORE, Level.ACTIVE, Level.OCCASIONAL)
# How hard a tie pulls in the network drawing, by class (see _compute).
LAYOUT_WEIGHTS = {"strong": 2.0, "weak": 1.0}


# Seconds spent in each phase of the last run in this process (bench/metrics.py prints them).
last_run_phases: dict[str, float] = {}


class _Stopwatch:
    """Record, in ``last_run_phases``, the time since the previous lap under each lap's name."""

    def __init__(self):
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        last_run_phases[name] = last_run_phases.get(name, 0.0) + now - self.last
        self.last = now


class MetricsConflict(Exception):
    """Another run wrote this community's tie table while this one computed; run again."""


# --- time ----------------------------------------------------------------------------------------


def as_of_minute(moment: datetime) -> datetime:
    """Return the as-of of a run requested at *moment*: rounded up to the whole minute, so the
    run includes everything up to its request and two runs requested in the same minute are
    the same run."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same day and time *months* calendar months earlier (day clamped to the month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _window_start(as_of: datetime, days: int) -> datetime:
    """Return the start of a window of *days* whole UTC days ending with as_of's (partial) day."""
    return _midnight(as_of) - timedelta(days=days - 1)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


# --- test hook ----------------------------------------------------------------------------------


def _checkpoint(stage: str) -> None:
    """Pause at *stage* when a test asks for it (``METRICS_TEST_SLEEP_AT``); otherwise nothing.

    The worker-kill test makes a real worker sleep inside the write transaction and kills it.
    """
    if getattr(settings, "METRICS_TEST_SLEEP_AT", "") == stage:
        seconds = float(getattr(settings, "METRICS_TEST_SLEEP_SECONDS", 0))
        logger.warning("metrics checkpoint %s: pausing %.0f s (test setting)", stage, seconds)
        time.sleep(seconds)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class _Plan:
    community_id: int
    as_of: datetime
    current: bool  # writes the tie table and the watermark; else a past period (history)
    full: bool  # rebuild the tie table from the whole log
    watermark_seen: int
    ties_as_of_seen: datetime | None
    full_requested_seen: datetime | None
    upto_pk: int


def _plan(*, community_id: int, as_of: datetime, full: bool, now: datetime) -> _Plan:
    """Mark the run started (committed at once, so dashboards can say so) and decide its kind."""
    pipeline = pipeline_settings()
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
        or state.full_requested_at is not None
        or state.last_full_at is None
        or state.last_full_at < now - timedelta(seconds=pipeline.full_every_seconds)
    )
    return _Plan(
        community_id=community_id,
        as_of=as_of,
        current=current,
        full=full or not current,
        watermark_seen=state.interactions_watermark,
        ties_as_of_seen=state.ties_as_of,
        full_requested_seen=state.full_requested_at,
        upto_pk=collect.log_high_water(community_id),
    )


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
        clock = _Stopwatch()
        plan = _plan(community_id=community_id, as_of=as_of, full=full, now=now)
        clock.lap("plan")
        try:
            result = _compute(plan)
            clock = _Stopwatch()
            snapshot = _write(plan, result, started=started)
            clock.lap("write")
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


def _record_failure(community_id: int, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        MetricsState.objects.filter(community_id=community_id).update(last_error=message)
    except Exception:  # the database itself may be what failed; the task will retry
        logger.exception("Could not record the failure of the metrics run of %s", community_id)


@dataclass
class _Result:
    data: dict
    member_rows: list[MemberMetrics]
    edges: list  # TieScore of the network's edges, in key order
    states: dict
    scores: list
    touched: set
    stored_classes: dict
    betweenness_exact: bool
    config: MetricsConfig


def _compute(plan: _Plan) -> _Result:
    """Read and compute everything; write nothing."""
    config = metrics_config()
    cid, as_of = plan.community_id, plan.as_of
    as_of_s = as_of.timestamp()
    clock = _Stopwatch()
    members = collect.members_at(cid, as_of)
    member_ids = set(members)
    moderators = {u for u, m in members.items() if m.is_moderator}
    clock.lap("members")

    # Tie states: the stored table plus the new log rows, or the whole log up to as_of.
    stored_classes: dict = {}
    if plan.full:
        states: dict = {}
        after = 0
    else:
        states, stored_classes = collect.load_pair_states(cid)
        after = plan.watermark_seen
    clock.lap("ties_load")
    touched = collect.fold_log(
        states,
        cid,
        after_pk=after,
        upto_pk=plan.upto_pk,
        until=None if plan.current else as_of,
        config=config,
        as_of=as_of_s,
    )
    clock.lap("ties_fold")
    # Scored in a fixed order so that sums over ties come out the same, bit for bit, every run.
    scores = score_all([states[key] for key in sorted(states)], as_of=as_of_s, config=config)
    member_scores = [s for s in scores if s.a in member_ids and s.b in member_ids]
    strong: Counter[int] = Counter()
    weak: Counter[int] = Counter()
    for tie in member_scores:
        if tie.tie_class == "strong":
            strong[tie.a] += 1
            strong[tie.b] += 1
        elif tie.tie_class == "weak":
            weak[tie.a] += 1
            weak[tie.b] += 1
    clock.lap("ties_score")

    # Activity: per member and day over the longest window, then each window from it.
    longest = max((*config.windows, config.level_window_days))
    activity = collect.member_activity(cid, since=_window_start(as_of, longest), until=as_of)
    level_since = _window_start(as_of, config.level_window_days)
    in_level_window = activity.summary(level_since.timestamp())
    activities = [
        MemberActivity(
            user_id=u,
            active_days=in_level_window.get(u, {}).get("active_days", 0),
            helps=in_level_window.get(u, {}).get("helps", 0),
            contributions=in_level_window.get(u, {}).get("contributions", 0),
            presence=in_level_window.get(u, {}).get("presence", 0),
            strong_ties=strong[u],
        )
        for u in sorted(member_ids)
    ]
    levels = assign_levels(activities, config=config)
    clock.lap("activity")

    network = network_measures(
        members=member_ids,
        ties=member_scores,
        groups={u: m.group_name for u, m in members.items()},
        config=config,
    )
    clock.lap("network")

    # History: the member's levels at monthly points before as_of, from stored snapshots.
    past = _past_snapshots(cid, as_of, count=max(config.trajectory_snapshots - 1, 1))
    past_levels = _levels_of([s.pk for s in past])
    previous = past[0] if past else None
    previous_levels = past_levels.get(previous.pk, {}) if previous else {}
    moved = transitions(previous_levels, levels)
    taking_part_elsewhere = _taking_part_elsewhere(cid, as_of)
    broker_ids = brokers(
        {u: p.betweenness for u, p in network.members.items()},
        {u: p.ei for u, p in network.members.items()},
        config=config,
    )
    trajectories = {}
    for u in member_ids:
        history = [past_levels[s.pk][u] for s in reversed(past) if u in past_levels[s.pk]]
        history.append(levels[u])
        here = 1 if levels[u] in TAKING_PART else 0
        trajectories[u] = trajectory(
            history,
            config=config,
            communities_occasional=here + taking_part_elsewhere.get(u, 0),
            broker=u in broker_ids,
        )
    clock.lap("history")

    # Participation figures.
    threads = collect.thread_records(
        cid, since=_window_start(as_of, longest), until=as_of, moderator_ids=moderators
    )
    repertoire = collect.repertoire(cid, since=_window_start(as_of, longest), until=as_of)
    windows = {}
    for days in config.windows:
        since = _window_start(as_of, days)
        windows[str(days)] = _window_figures(
            days=days,
            since=since,
            as_of=as_of,
            members=members,
            activity=activity,
            threads=threads,
            repertoire=repertoire,
            config=config,
        )
    weeks = config.posts_per_week_weeks
    week_rows = collect.posts_per_day(
        cid, since=_midnight(as_of) - timedelta(days=7 * weeks + 7), until=as_of
    )
    current_contributors = collect.contributors_between(
        cid, since=level_since, until=as_of + timedelta(microseconds=1)
    )
    previous_contributors = collect.contributors_between(
        cid,
        since=level_since - timedelta(days=config.level_window_days),
        until=level_since,
    )
    ties_block = tie_summary(member_scores, config)
    net = network.summary
    data = {
        "schema": SCHEMA,
        "as_of": _iso(as_of),
        "computed_at": None,  # set when written
        "duration_ms": None,
        "windows": windows,
        "posts_per_week": posts_per_week(
            (t for t, n in week_rows for _ in range(n)), as_of=as_of_s, weeks=weeks
        ),
        "levels": level_counts(levels),
        "transitions": moved.as_dict(_iso(previous.as_of) if previous else None),
        "trajectories": trajectory_counts(trajectories),
        "newcomer_retention": newcomer_retention(
            collect.first_and_second_posts(cid, until=as_of), as_of=as_of_s, config=config
        ),
        "ties": ties_block,
        "network": net,
        "spectrum": spectrum(
            strong_share=ties_block["strong_share"],
            reciprocity=net["reciprocity"],
            transitivity=net["transitivity"],
            density=net["density"],
            multiplexity=mean_multiplexity(member_scores),
            repeat_pairs=repeat_pair_rate(member_scores),
            continuity=continuity(current_contributors, previous_contributors),
            config=config,
        ),
        "at_risk_questions": at_risk_questions(threads, as_of=as_of_s, config=config),
        "run": {"full": plan.full, "current": plan.current, "interactions_upto": plan.upto_pk},
    }

    clock.lap("participation")
    edges = [t for t in member_scores if t.score >= config.network_min_score]
    # The drawing pulls by class, not by score: every score decays a little each hour, and a
    # force-directed layout turns the smallest change of a weight into a visibly different
    # picture. So the drawing moves only when a tie appears, goes or changes class.
    positions = network_layout(
        sorted(member_ids),
        [(t.a, t.b, LAYOUT_WEIGHTS[t.tie_class]) for t in edges if t.tie_class in LAYOUT_WEIGHTS],
        seed=config.betweenness_seed,
    )
    clock.lap("layout")
    member_rows = []
    for u in sorted(member_ids):
        position = network.members.get(u)
        x, y = positions.get(u, (None, None))
        summary = in_level_window.get(u, {})
        member_rows.append(
            MemberMetrics(
                user_id=u,
                level=levels[u],
                previous_level=previous_levels.get(u, ""),
                trajectory=trajectories[u],
                active_days=summary.get("active_days", 0),
                helps=summary.get("helps", 0),
                contributions=summary.get("contributions", 0),
                presence=summary.get("presence", 0),
                strong_ties=strong[u],
                weak_ties=weak[u],
                degree=position.degree if position else 0,
                strength=position.strength if position else 0.0,
                betweenness=position.betweenness if position else 0.0,
                professional_group_id=members[u].group_id,
                x=x,
                y=y,
            )
        )
    return _Result(
        data=_json_safe(data),
        member_rows=member_rows,
        edges=edges,
        states=states,
        scores=scores,
        touched=touched,
        stored_classes=stored_classes,
        betweenness_exact=bool(net.get("betweenness_exact", True)),
        config=config,
    )


def _window_figures(*, days, since, as_of, members, activity, threads, repertoire, config) -> dict:
    since_s = since.timestamp()
    active = activity.summary(since_s)
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


def _json_safe(value):
    """Return *value* with NaN and infinities as None and tuples as lists (valid, stable JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _past_snapshots(community_id: int, as_of: datetime, *, count: int) -> list[MetricsSnapshot]:
    """Return up to *count* stored snapshots at monthly points before *as_of*, newest first:
    for k = 1, 2, ... the latest snapshot at or before as_of minus k calendar months."""
    candidates = list(
        MetricsSnapshot.objects.filter(
            community_id=community_id,
            as_of__lte=months_before(as_of, 1),
            as_of__gt=months_before(as_of, count + 2),
        )
        .order_by("-as_of")
        .only("pk", "as_of")
    )
    chosen: list[MetricsSnapshot] = []
    for k in range(1, count + 1):
        point = months_before(as_of, k)
        for snapshot in candidates:
            if snapshot.as_of <= point:
                if not chosen or snapshot.pk != chosen[-1].pk:
                    chosen.append(snapshot)
                break
    return chosen


def _levels_of(snapshot_ids: list[int]) -> dict[int, dict[int, str]]:
    out: dict[int, dict[int, str]] = {pk: {} for pk in snapshot_ids}
    if snapshot_ids:
        for snapshot_id, user_id, level in MemberMetrics.objects.filter(
            snapshot_id__in=snapshot_ids
        ).values_list("snapshot_id", "user_id", "level"):
            out[snapshot_id][user_id] = level
    return out


def _taking_part_elsewhere(community_id: int, as_of: datetime) -> dict[int, int]:
    """Return, per member, in how many other communities their latest level (at or before
    *as_of*) is occasional or above."""
    from django.db.models import Max

    latest = (
        MetricsSnapshot.objects.filter(as_of__lte=as_of)
        .exclude(community_id=community_id)
        .values("community_id")
        .annotate(last=Max("as_of"))
        .values_list("community_id", "last")
    )
    pairs = list(latest)
    if not pairs:
        return {}
    from django.db.models import Q

    condition = Q()
    for other, last in pairs:
        condition |= Q(snapshot__community_id=other, snapshot__as_of=last)
    counts: Counter[int] = Counter(
        MemberMetrics.objects.filter(condition, level__in=TAKING_PART).values_list(
            "user_id", flat=True
        )
    )
    return dict(counts)


def _write(plan: _Plan, result: _Result, *, started: float) -> MetricsSnapshot:
    """Store the result in one transaction; the state row is locked to serialise runs."""
    now = timezone.now()
    data = dict(result.data)
    data["computed_at"] = _iso(now)
    duration_ms = int((time.monotonic() - started) * 1000)
    data["duration_ms"] = duration_ms
    with transaction.atomic():
        state = MetricsState.objects.select_for_update().get(community_id=plan.community_id)
        if plan.current and (
            state.interactions_watermark != plan.watermark_seen
            or state.ties_as_of != plan.ties_as_of_seen
        ):
            raise MetricsConflict(f"the tie table of {plan.community_id} changed during the run")
        snapshot, created = MetricsSnapshot.objects.update_or_create(
            community_id=plan.community_id,
            as_of=plan.as_of,
            defaults={
                "computed_at": now,
                "duration_ms": duration_ms,
                "betweenness_exact": result.betweenness_exact,
                "config": result.config.as_dict(),
                "data": data,
            },
        )
        if not created:
            MemberMetrics.objects.filter(snapshot=snapshot).delete()
            NetworkEdge.objects.filter(snapshot=snapshot).delete()
        for row in result.member_rows:
            row.snapshot = snapshot
        MemberMetrics.objects.bulk_create(result.member_rows, batch_size=WRITE_BATCH_SIZE)
        _write_edges(snapshot, result.edges)
        _checkpoint("members_written")
        if plan.current:
            _write_ties(plan, result)
            _checkpoint("ties_written")
            state.interactions_watermark = plan.upto_pk
            state.ties_as_of = plan.as_of
            state.finished_at = now
            state.last_error = ""
            fields = ["interactions_watermark", "ties_as_of", "finished_at", "last_error"]
            if plan.full:
                state.last_full_at = now
                fields.append("last_full_at")
                if state.full_requested_at == plan.full_requested_seen:
                    state.full_requested_at = None
                    fields.append("full_requested_at")
            state.save(update_fields=fields)
    if plan.current:
        snapshots_prune(community_id=plan.community_id, now=now)
    return snapshot


EDGE_COLUMNS = (
    "snapshot_id",
    "user_a_id",
    "user_b_id",
    "score",
    "tie_class",
    "reciprocity",
    "multiplexity",
    "duration",
)


def _write_edges(snapshot: MetricsSnapshot, edges) -> None:
    """Store the snapshot's network edges: by COPY on PostgreSQL (a fifth of the time of INSERT
    batches: 9,000 edges in 0.08 s instead of 0.39 s), else in INSERT batches."""
    if connection.vendor == "postgresql":
        import io

        # Numbers with repr (exact); tie classes are plain words, which COPY takes as they are.
        lines = "".join(
            f"{snapshot.pk}\t{t.a}\t{t.b}\t{t.score!r}\t{t.tie_class}\t{t.reciprocity!r}\t"
            f"{t.multiplexity!r}\t{t.duration!r}\n"
            for t in edges
        )
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {NetworkEdge._meta.db_table} ({', '.join(EDGE_COLUMNS)}) FROM STDIN",
                io.StringIO(lines),
            )
        return
    rows = (
        (snapshot.pk, t.a, t.b, t.score, t.tie_class, t.reciprocity, t.multiplexity, t.duration)
        for t in edges
    )
    NetworkEdge.objects.bulk_create(
        (NetworkEdge(**dict(zip(EDGE_COLUMNS, row, strict=True))) for row in rows),
        batch_size=WRITE_BATCH_SIZE,
    )


def _write_ties(plan: _Plan, result: _Result) -> None:
    """Bring the tie table up to this run, writing only what changed.

    A row is written when its pair's state changed (new interactions, or a full run found it
    different), its class changed, or its stored score is ``SCORE_REFRESH`` or more away from
    this run's. A pair's state is a function of its own log rows (``collect.fold_log``), so the
    other rows already hold exactly the state a full run computes; only their stored score lags,
    by less than ``SCORE_REFRESH``. Nothing that must be exact reads it: the snapshot, its
    network edges and the exports carry this run's exact scores. A full run also deletes the
    pairs the log no longer has (interactions retracted).
    """
    if plan.full:
        if connection.vendor == "postgresql":
            _replace_ties_postgresql(plan, result)
            return
        rows = _tie_rows(plan, result, lambda key, tie: True)
        TieStrength.objects.filter(community_id=plan.community_id).delete()
        for batch in _batches(rows, WRITE_BATCH_SIZE):
            TieStrength.objects.bulk_create(
                [TieStrength(**dict(zip(TIE_COLUMNS, row, strict=True))) for row in batch]
            )
        return
    touched, stored = result.touched, result.stored_classes

    def changed(key, tie) -> bool:
        if key in touched or key not in stored:
            return True
        stored_class, stored_score = stored[key]
        return stored_class != tie.tie_class or abs(stored_score - tie.score) >= SCORE_REFRESH

    for batch in _batches(_tie_rows(plan, result, changed), WRITE_BATCH_SIZE):
        TieStrength.objects.bulk_create(
            [TieStrength(**dict(zip(TIE_COLUMNS, row, strict=True))) for row in batch],
            update_conflicts=True,
            unique_fields=["community", "user_a", "user_b"],
            update_fields=TIE_COLUMNS[3:],
        )


# A stored tie score is rewritten once it is this far from the current one (see _write_ties).
SCORE_REFRESH = 0.01


TIE_COLUMNS = (
    "community_id",
    "user_a_id",
    "user_b_id",
    "intensity_ab",
    "intensity_ba",
    "ref_at",
    "first_at",
    "last_at",
    "channels",
    "months",
    "score",
    "reciprocity",
    "multiplexity",
    "duration",
    "tie_class",
)


def _tie_rows(plan: _Plan, result: _Result, keep):
    """Yield tie table rows (TIE_COLUMNS order) for the pairs *keep* accepts, each pair's state
    as it is. ``result.scores`` is in sorted key order (see ``_compute``)."""
    states = result.states
    for tie in result.scores:
        key = (tie.a, tie.b)
        if not keep(key, tie):
            continue
        state = states[key]
        yield (
            plan.community_id,
            tie.a,
            tie.b,
            state.i_ab,
            state.i_ba,
            datetime.fromtimestamp(state.ref, UTC),
            datetime.fromtimestamp(state.first, UTC),
            datetime.fromtimestamp(state.last, UTC),
            dict(sorted(state.channels.items())),
            sorted(state.months),
            tie.score,
            tie.reciprocity,
            tie.multiplexity,
            tie.duration,
            tie.tie_class,
        )


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _copy_lines(plan: _Plan, result: _Result):
    """Yield COPY text lines of every pair (times as epoch seconds): the full run's tie table.

    Written by hand for speed (300,000 pairs on a large community): numbers with repr (exact),
    JSON of numbers and plain channel names, which need no escaping in COPY's text format.
    """
    states, cid = result.states, plan.community_id
    for tie in result.scores:
        state = states[(tie.a, tie.b)]
        channels = ",".join(f'"{k}":{v!r}' for k, v in sorted(state.channels.items()))
        months = ",".join(map(str, sorted(state.months)))
        yield (
            f"{cid}\t{tie.a}\t{tie.b}\t{state.i_ab!r}\t{state.i_ba!r}\t"
            f"{state.ref!r}\t{state.first!r}\t{state.last!r}\t{{{channels}}}\t[{months}]\t"
            f"{tie.score!r}\t{tie.reciprocity!r}\t{tie.multiplexity!r}\t{tie.duration!r}\t"
            f"{tie.tie_class}\n"
        )


def _replace_ties_postgresql(plan: _Plan, result: _Result) -> None:
    """Make the community's tie table equal to this run's pairs, touching only rows that differ.

    The rows go by COPY into a temporary table (no indexes, no foreign keys); one statement
    deletes the pairs that are gone, one upsert inserts new pairs and updates the changed ones.
    Updated rows keep their keys, so PostgreSQL checks no foreign key for them: rewriting every
    row would check three per row, the bulk of the cost of a full run on a large community.
    """
    import io

    table = TieStrength._meta.db_table
    names = [TieStrength._meta.get_field(name).column for name in TIE_COLUMNS]
    columns = ", ".join(names)
    times = {"ref_at", "first_at", "last_at"}
    staged = ", ".join(
        f"{n} double precision" if n in times
        else f"{n} jsonb" if n in ("channels", "months")
        else f"{n} text" if n == "tie_class"
        else f"{n} bigint" if n.endswith("_id")
        else f"{n} double precision"
        for n in names
    )  # fmt: skip
    selected = ", ".join(f"to_timestamp({n})" if n in times else n for n in names)
    with connection.cursor() as cursor:
        # Dropped here and after use, not only at commit: the caller's transaction may be an
        # outer one that sees several runs (a command, a test).
        cursor.execute("DROP TABLE IF EXISTS metrics_ties_new")
        cursor.execute(f"CREATE TEMPORARY TABLE metrics_ties_new ({staged}) ON COMMIT DROP")
        for batch in _batches(_copy_lines(plan, result), 50_000):
            cursor.copy_expert(
                f"COPY metrics_ties_new ({columns}) FROM STDIN", io.StringIO("".join(batch))
            )
        cursor.execute("ANALYZE metrics_ties_new")
        cursor.execute(
            f"""DELETE FROM {table} t WHERE t.community_id = %s AND NOT EXISTS (
                    SELECT 1 FROM metrics_ties_new n
                    WHERE n.user_a_id = t.user_a_id AND n.user_b_id = t.user_b_id)""",
            [plan.community_id],
        )
        updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[3:])
        cursor.execute(
            f"""INSERT INTO {table} AS t ({columns}) SELECT {selected} FROM metrics_ties_new
                ON CONFLICT (community_id, user_a_id, user_b_id) DO UPDATE SET {updates}
                WHERE t.tie_class <> EXCLUDED.tie_class
                   OR abs(t.score - EXCLUDED.score) >= %s
                   OR t.intensity_ab <> EXCLUDED.intensity_ab
                   OR t.intensity_ba <> EXCLUDED.intensity_ba OR t.ref_at <> EXCLUDED.ref_at
                   OR t.first_at <> EXCLUDED.first_at OR t.last_at <> EXCLUDED.last_at
                   OR t.channels <> EXCLUDED.channels OR t.months <> EXCLUDED.months""",
            [SCORE_REFRESH],
        )
        cursor.execute("DROP TABLE metrics_ties_new")


# --- history and retention ----------------------------------------------------------------------


def month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Return midnight (UTC) of the first day of the month *months_back* months before *moment*."""
    first = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return months_before(first, months_back)


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


def snapshots_prune(*, community_id: int, now: datetime | None = None) -> int:
    """Apply the retention rule; return how many snapshots went.

    Keep every snapshot of the last ``METRICS_KEEP_ALL_DAYS`` days, then the last one of each UTC
    day up to ``METRICS_KEEP_DAILY_DAYS`` days, then the last one of each calendar month. The
    latest snapshot is always kept.
    """
    pipeline = pipeline_settings()
    now = now or timezone.now()
    keep_all_after = now - timedelta(days=pipeline.keep_all_days)
    daily_after = now - timedelta(days=pipeline.keep_daily_days)
    rows = list(
        MetricsSnapshot.objects.filter(community_id=community_id, as_of__lt=keep_all_after)
        .order_by("-as_of")
        .values_list("pk", "as_of")
    )
    seen: set = set()
    doomed = []
    for pk, as_of in rows:
        bucket = as_of.date() if as_of >= daily_after else (as_of.year, as_of.month)
        if bucket in seen:
            doomed.append(pk)
        else:
            seen.add(bucket)
    if doomed:
        MetricsSnapshot.objects.filter(pk__in=doomed).delete()
    return len(doomed)


# --- requests ------------------------------------------------------------------------------------


def _eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


_REQUEST_SQL = """
    INSERT INTO {table} (community_id, pending_since, last_error, interactions_watermark)
    VALUES (%s, %s, '', 0)
    ON CONFLICT (community_id) DO UPDATE SET pending_since = excluded.pending_since
    WHERE {table}.pending_since IS NULL OR {table}.pending_since < %s
"""


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
    from core.after_commit import on_commit_safely
    from metrics.tasks import recompute_community_task

    def send():
        try:
            recompute_community_task.apply_async(
                kwargs={"community_id": community_id, "as_of": _iso(as_of), "requested": True},
                countdown=countdown or None,
            )
        except Exception:
            # The broker is down or the in-process run failed: the request stays pending and is
            # enqueued again once stale, or the hourly run catches up.
            logger.exception("Could not run or enqueue the metrics of community %s", community_id)

    on_commit_safely(send, name=f"metrics enqueue of community {community_id}")


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
    return metrics_compute(community_id=community_id, as_of=as_of)


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
