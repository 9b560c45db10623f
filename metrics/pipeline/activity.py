"""Activity per member and day kept between current runs, read again only where it changed.

A current run needs every member's activity per UTC day over the longest window (90 days of
posts, votes, RSVPs, items, …): about 80,000 member-days in a 10,000-member community, a second
or two of SQL and Python each run. A worker keeps the activity its last current run of the
community computed (``pipeline.cache``, under the tie table's token, so only while that run's
result is the stored one), and every current run stores it in a table under the same token
(``pipeline.kept_activity``) for a worker without it in memory; the next run starts from either
and reads again only

- the days from the kept run's own (partial) day up to its as-of: new rows, and rows dated
  ahead of the kept run;
- the days marked in ``ActivityMark`` since: database triggers on every source mark the day
  of a row added, removed or changed (a post hidden, a vote retracted, an RSVP withdrawn, an
  item's revision deleted), and the whole window when a thread, item or event moved between
  communities (``migrations/0005``);

and drops the days that left the window. Each day is read whole, by the same GROUP BYs as a
full read, so the result is the full read's, bit for bit. A run deletes exactly the marks it
read, in its store transaction: a change committed while it computes leaves its own mark for
the next run. A run that finds neither (the table written by no run yet, or the token moved
on between its plan and its read), a full run and a past run read the whole window. The daily
full run also computes what each kept copy (this worker's and the table's) would have given and
logs any difference (``ActivityDrift``), so a writer that bypasses the triggers (a bulk load
with triggers off) shows instead of drifting silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from metrics import collect
from metrics.pipeline.cache import KeptActivity, cached_activity
from metrics.pipeline.kept_activity import kept_activity_read
from metrics.pipeline.plan import Plan
from metrics.pipeline.times import midnight, window_start

logger = logging.getLogger(__name__)

# Beyond this many days to read again, the whole window is read instead (the same result): on the
# bench database 15 marked days took 0.5 s and the whole 90 days 1.7-2.0 s, 75 days 2.2 s.
MAX_DAYS_READ = 30


@dataclass
class RunActivity:
    activity: collect.Activity
    marks_seen: list[int]  # ids of the activity marks this run took into account
    # The days where *activity* may differ from the kept run's, as the table holds it: the days
    # read again from the sources; None: any day.
    days_changed: list[date] | None


def run_activity(plan: Plan, *, longest_days: int) -> RunActivity:
    """Return the activity over the run's longest window, read again only where it changed
    since the kept run (current runs that find it in this worker or in the table), else read
    whole."""
    since = window_start(plan.as_of, longest_days)
    if not plan.current:
        return RunActivity(
            collect.member_activity(plan.community_id, since=since, until=plan.as_of), [], None
        )
    # The marks first: a change committed after this read is in the sources read below or
    # keeps its mark for the next run, never both lost.
    marks = collect.activity_marks(plan.community_id)
    seen = [pk for pk, _ in marks]
    whole = any(day is None for _, day in marks)
    memory = (
        None
        if whole
        else cached_activity(plan.community_id, token=plan.ties_token_seen, ref=plan.ref)
    )
    # A full run reads the table as well, to check it too for drift.
    table = (
        None
        if whole or (memory is not None and not plan.full)
        else kept_activity_read(plan, since=since)
    )
    kept = memory or table
    if plan.full or kept is None:
        activity = collect.member_activity(plan.community_id, since=since, until=plan.as_of)
        changed = None
        if plan.full:
            if memory is not None:
                days = _days_to_read(plan, memory, marks, since)
                _check_drift(plan, memory, days, since, activity, where="in this worker")
            if table is not None:
                days = _days_to_read(plan, table, marks, since)
                if _check_drift(plan, table, days, since, activity, where="in the table"):
                    changed = days  # the table equals the whole read on every other day
        return RunActivity(activity, seen, changed)
    days = _days_to_read(plan, kept, marks, since)
    if len(days) > MAX_DAYS_READ:
        return RunActivity(
            collect.member_activity(plan.community_id, since=since, until=plan.as_of), seen, None
        )
    return RunActivity(_updated(plan, kept, days, since), seen, days)


def _days_to_read(plan: Plan, kept: KeptActivity, marks, since: datetime) -> list[date]:
    """Return the days to read again: from the kept run's day to this run's, and marked days
    still in the window."""
    first = midnight(kept.as_of.astimezone(UTC))
    days = {d for _, d in marks if d is not None and _midnight_of(d) >= since}
    day = first
    while day <= plan.as_of:
        days.add(day.date())
        day += timedelta(days=1)
    return sorted(days)


def _updated(plan: Plan, kept: KeptActivity, days: list[date], since: datetime):
    fresh = collect.member_activity(plan.community_id, since=since, until=plan.as_of, days=days)
    drop = {_midnight_of(d).timestamp() for d in days}
    since_s = since.timestamp()
    activity = collect.Activity(since=since, until=plan.as_of)
    by_member_day = activity.by_member_day
    for user_id, per_day in kept.activity.by_member_day.items():
        kept_days = {t: e for t, e in per_day.items() if t >= since_s and t not in drop}
        if kept_days:
            by_member_day[user_id] = kept_days
    for user_id, per_day in fresh.by_member_day.items():
        by_member_day.setdefault(user_id, {}).update(per_day)
    # The full read's order (users as the sources return them) is not part of any figure:
    # every consumer sums or looks up per day.
    return activity


def _midnight_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _check_drift(
    plan: Plan, kept: KeptActivity, days: list[date], since, full: collect.Activity, *, where: str
) -> bool:
    """Log where the kept activity, brought up to this full run by reading *days* again,
    differs from its full read; return whether it is the same."""
    updated = _updated(plan, kept, days, since)
    if updated.by_member_day == full.by_member_day:
        return True
    users = set(updated.by_member_day) | set(full.by_member_day)
    differing = sorted(
        u for u in users if updated.by_member_day.get(u) != full.by_member_day.get(u)
    )
    logger.error(
        "ActivityDrift: the activity of community %s kept %s differs from a full read for %d "
        "members (first: %s); a writer bypassed the activity triggers",
        plan.community_id,
        where,
        len(differing),
        differing[:5],
    )
    return False
