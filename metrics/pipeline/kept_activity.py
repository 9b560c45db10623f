"""The activity per member and day kept in the database (``KeptActivityDay``), for a worker that
does not hold it in memory (``pipeline.cache``): a fresh process, another prefork child, another
machine. It reads the table in one indexed read instead of 90 days of sources, then the days
changed since, as a warm worker does (``pipeline.activity``).

Every current run writes the table in its store transaction, for exactly the days it read again
(a full run: those the table, checked equal to its whole read elsewhere, was behind on) and
drops the days that left the window, and tags it with the tie table's new token and its
as-of (``KeptActivityState``). A run uses the rows only while that tag is still the token its plan
read: rows of a run rolled back were never committed, rows of another worker's later run carry
its token, and a table written by no run yet has no tag. Stale rows are unused, never wrong.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from django.db import connection

from metrics import collect
from metrics.models import KeptActivityDay, KeptActivityState
from metrics.pipeline.cache import KeptActivity
from metrics.pipeline.plan import Plan

# Rows per INSERT on SQLite: 7 columns x 1,000 rows stays under its 32,766 bound variables.
SQLITE_BATCH_SIZE = 1000


def kept_activity_read(plan: Plan, *, since: datetime) -> KeptActivity | None:
    """Return the activity the community's table keeps from *since* on, if it is the one of the
    tie table the plan saw, else None."""
    tag = KeptActivityState.objects.filter(
        community_id=plan.community_id, ties_token=plan.ties_token_seen
    ).values_list("as_of", flat=True)
    if not plan.ties_token_seen or tag.first() is None:
        return None  # not worth reading 80,000 rows (~0.2 s)
    by_member_day = collect.kept_activity_days(
        plan.community_id, since=since.astimezone(UTC).date()
    )
    # The tag again after the rows: a run that committed in between changed it, so a tag still
    # the plan's token means the rows read are that run's.
    as_of = tag.first()
    if as_of is None:
        return None
    activity = collect.Activity(since=since, until=as_of, by_member_day=by_member_day)
    return KeptActivity(activity, as_of)


def kept_activity_write(
    plan: Plan, *, token: str, activity: collect.Activity, days_changed: list[date] | None
) -> None:
    """Bring the community's table to this run's *activity* and tag it with *token*: only the
    *days_changed* and the days that left the window where the table holds the activity this run
    started from, else every row that differs. Call it in the store transaction, the state row
    locked."""
    cid = plan.community_id
    tag = (
        KeptActivityState.objects.filter(community_id=cid)
        .values_list("ties_token", flat=True)
        .first()
    )
    table = KeptActivityDay._meta.db_table
    with connection.cursor() as cursor:
        if days_changed is not None and plan.ties_token_seen and tag == plan.ties_token_seen:
            wanted = {collect.day_epoch(d) for d in days_changed}
            entries = (
                (user_id, day, entry)
                for user_id, per_day in activity.by_member_day.items()
                for day, entry in per_day.items()
                if day in wanted
            )
            placeholders = ", ".join(["%s"] * len(days_changed))
            cursor.execute(
                f"DELETE FROM {table} WHERE community_id = %s AND (day < %s"
                + (f" OR day IN ({placeholders}))" if days_changed else ")"),
                [cid, activity.since.astimezone(UTC).date(), *days_changed],
            )
        else:
            entries = _differing(cursor, cid, activity)
        _insert(cursor, cid, entries)
    KeptActivityState.objects.bulk_create(
        [KeptActivityState(community_id=cid, ties_token=token, as_of=plan.as_of)],
        update_conflicts=True,
        unique_fields=["community"],
        update_fields=["ties_token", "as_of"],
    )


def _differing(cursor, community_id: int, activity: collect.Activity) -> list:
    """Delete the community's rows that differ from *activity* or are not in it; return the
    entries of *activity* to insert. Every row compared rather than all rewritten: a stale
    table (a run of an older release, a whole window read after a thread moved) is mostly
    right, and rewriting 80,000 rows took 0.8-0.9 s (load 3.8) against ~0.2 s to read them."""
    stored = collect.kept_activity_days(community_id, since=date.min)
    wanted = activity.by_member_day
    gone = [
        (user_id, day)
        for user_id, per_day in stored.items()
        for day, entry in per_day.items()
        if wanted.get(user_id, {}).get(day) != entry
    ]
    table = KeptActivityDay._meta.db_table
    if connection.vendor == "postgresql":
        if gone:
            cursor.execute(
                f"""DELETE FROM {table} t
                    USING (SELECT unnest(%s::bigint[]) AS user_id, unnest(%s::date[]) AS day) gone
                    WHERE t.community_id = %s AND t.day = gone.day
                    AND t.user_id = gone.user_id""",
                [[u for u, _ in gone], [_date_of(d) for _, d in gone], community_id],
            )
    else:
        cursor.executemany(
            f"DELETE FROM {table} WHERE community_id = %s AND day = %s AND user_id = %s",
            [(community_id, _date_of(d), u) for u, d in gone],
        )
    return [
        (user_id, day, entry)
        for user_id, per_day in wanted.items()
        for day, entry in per_day.items()
        if stored.get(user_id, {}).get(day) != entry
    ]


def _date_of(day: float) -> date:
    return datetime.fromtimestamp(day, UTC).date()


def _insert(cursor, community_id: int, entries) -> None:
    table = KeptActivityDay._meta.db_table
    columns = "community_id, day, user_id, posts, helps, contributions, presence"
    days: dict[float, str] = {}

    def iso(day: float) -> str:
        text = days.get(day)
        if text is None:
            text = days[day] = _date_of(day).isoformat()
        return text

    rows = (
        (community_id, iso(day), user_id, e.posts, e.helps, e.contributions, e.presence)
        for user_id, day, e in entries
    )
    if connection.vendor == "postgresql":
        # COPY: 80,000 rows when the whole window was read, in one statement.
        text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        if text:
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text))
        return
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == SQLITE_BATCH_SIZE:
            _insert_batch(cursor, table, columns, batch)
            batch = []
    if batch:
        _insert_batch(cursor, table, columns, batch)


def _insert_batch(cursor, table: str, columns: str, batch: list[tuple]) -> None:
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) VALUES {values}", [v for row in batch for v in row]
    )
