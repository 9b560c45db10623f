"""Read what the metrics need from the database, aggregated in SQL, as plain records.

Everything here is a read; ``metrics/pipeline/run.py`` turns the records into a snapshot with the
pure functions of ``metrics/compute``. Times handed on are UTC epoch seconds (floats).

Where SQL aggregates naturally it does: activity per member and day, posts per day, the first
response of each thread, and each pair's decayed interaction sums, which are one ``GROUP BY`` over
the log on PostgreSQL and on SQLite builds with math functions (``exp``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber, TruncDate

from communities.models import Interaction, Membership, MembershipEvent, ProfessionalGroup, Profile
from knowledge.models import ChangeProposal, Evidence, Item, ItemRevision
from metrics.compute.config import MetricsConfig
from metrics.compute.log_fold import KIND_CODES, UNKNOWN_KIND, table_from_log_columns
from metrics.compute.pairs import (
    CLASS_CODES,
    KEY_SHIFT,
    MAX_EXPONENT,
    MONTH_BITS,
    PairTable,
    month_base,
    table_from_columns,
    table_from_rows,
    unit_rate,
)
from metrics.compute.ties import (
    CHANNEL_OF_KIND,
    CHANNELS,
    KINDS,
    MIN_EXPONENT,
    QUANTUM,
    SYMMETRIC_KINDS,
)
from metrics.models import (
    CHANNEL_COLUMNS,
    TIE_STATE_COLUMNS,
    ActivityMark,
    KeptActivityDay,
    TieStrength,
)
from practice.models import RSVP, AdoptionReport, Post, Thread, Vote

# Rows per round trip when the log is read row by row (no SQL math): big enough to amortise the
# round trip, small enough that a chunk of tuples stays a few hundred kilobytes.
LOG_CHUNK_SIZE = 5000


def epoch(moment: datetime) -> float:
    """Return *moment* (aware) as UTC epoch seconds."""
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def day_epoch(day) -> float:
    """Return the epoch second of midnight (UTC) starting *day* (a date)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


# --- members -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    is_moderator: bool
    joined_at: float
    group_id: int | None
    group_name: str | None


def members_at(community_id: int, as_of: datetime) -> dict[int, Member]:
    """Return the members of the community at *as_of* (joined by then, not gone by then).

    A membership's state at *as_of* is its current state, unless its history records a change
    after *as_of*: then it is the ``from_state`` of the first such change. The role is the
    current one.
    """
    # A membership made active without the join service has no joined_at: it began when created.
    memberships = list(
        Membership.objects.annotate(joined=Coalesce("joined_at", "created_at"))
        .filter(community_id=community_id, joined__lte=as_of)
        .values_list("pk", "user_id", "state", "role", "joined")
    )
    state_then: dict[int, str] = {}
    for membership_id, from_state in (
        MembershipEvent.objects.filter(community_id=community_id, occurred_at__gt=as_of)
        .exclude(to_state="")
        .order_by("-occurred_at", "-pk")
        .values_list("membership_id", "from_state")
    ):
        state_then[membership_id] = from_state  # the earliest change after as_of wins
    kept = [
        (user_id, role, joined)
        for pk, user_id, state, role, joined in memberships
        if state_then.get(pk, state) == Membership.State.ACTIVE
    ]
    groups = dict(
        Profile.objects.filter(user__memberships__community_id=community_id).values_list(
            "user_id", "professional_group_id"
        )
    )
    group_names = _group_names()
    return {
        user_id: Member(
            user_id=user_id,
            is_moderator=role == Membership.Role.MODERATOR,
            joined_at=epoch(joined),
            group_id=groups.get(user_id),
            group_name=group_names.get(groups.get(user_id)),
        )
        for user_id, role, joined in kept
    }


def _group_names() -> dict[int, str]:
    return dict(ProfessionalGroup.objects.values_list("pk", "name"))


# --- activity ----------------------------------------------------------------------------------


@dataclass(slots=True)
class DayActivity:
    """What one member did on one day (UTC)."""

    posts: int = 0
    helps: int = 0  # answers and replies in threads someone else started
    contributions: int = 0  # posts, items proposed, item edits, change proposals
    presence: int = 0  # helpful votes, RSVPs, "worked for me", "I used this"


@dataclass
class Activity:
    """Activity per member and day over ``[since, until]``, and per-day community counts."""

    since: datetime
    until: datetime
    by_member_day: dict[int, dict[float, DayActivity]] = field(default_factory=dict)

    def add(self, user_id: int, day: float, **counts: int) -> None:
        days = self.by_member_day.setdefault(user_id, {})
        entry = days.get(day)
        if entry is None:
            entry = days[day] = DayActivity()
        for name, value in counts.items():
            setattr(entry, name, getattr(entry, name) + value)

    def summary(self, since: float) -> dict[int, dict[str, int]]:
        """Per member active since epoch *since*: active days and the summed counts."""
        out: dict[int, dict[str, int]] = {}
        for user_id, days in self.by_member_day.items():
            totals = {"active_days": 0, "posts": 0, "helps": 0, "contributions": 0, "presence": 0}
            for day, entry in days.items():
                if day < since:
                    continue
                totals["active_days"] += 1
                totals["posts"] += entry.posts
                totals["helps"] += entry.helps
                totals["contributions"] += entry.contributions
                totals["presence"] += entry.presence
            if totals["active_days"]:
                out[user_id] = totals
        return out


class _DayEpochs(dict):
    """Midnight's epoch second of each day given as ISO text, computed once per day."""

    def __missing__(self, text: str) -> float:
        value = self[text] = day_epoch(date.fromisoformat(text))
        return value


def member_activity(
    community_id: int, *, since: datetime, until: datetime, days: list[date] | None = None
) -> Activity:
    """Return what each member did per day in ``[since, until]``: one GROUP BY per source; with
    *days*, only on those UTC days (``pipeline.activity`` reads again only the days that changed).

    The day is read as ISO text: a column without a Django converter, so the ~80,000 grouped rows
    of a 10,000-member community come back as the driver makes them (the per-row converters of a
    date column, an epoch per row and ``Activity.add``'s keyword loop were a sixth of this read:
    2.63 -> 2.19 s). PostgreSQL writes a date as ISO text under its default ``DateStyle``; any
    other would make ``date.fromisoformat`` fail loudly, never count a wrong day.
    """
    activity = Activity(since=since, until=until)
    by_member_day = activity.by_member_day
    epochs = _DayEpochs()
    window = Q(created_at__gte=since, created_at__lte=until)
    if days is not None:
        if not days:
            return activity
        window &= _days_filter(days)
    day = Cast(TruncDate("created_at"), CharField())

    def entry_of(user_id: int, text: str) -> DayActivity:
        days = by_member_day.get(user_id)
        if days is None:
            days = by_member_day[user_id] = {}
        at = epochs[text]
        entry = days.get(at)
        if entry is None:
            entry = days[at] = DayActivity()
        return entry

    posts = Post.objects.filter(window, community_id=community_id, is_hidden=False)
    if days is None:
        thread_author = F("thread__author_id")
    else:
        # A few days' posts: their threads' authors by an index probe each. A join made
        # PostgreSQL hash every thread of the community (192,000 in the bench: 0.2 s) to read one
        # day's 2,000 posts.
        posts = posts.annotate(
            thread_author=Subquery(
                Thread.objects.filter(pk=OuterRef("thread_id")).values("author_id")
            )
        )
        thread_author = F("thread_author")
    posts = (
        posts.values("author_id", day=day)
        .annotate(
            n=Count("pk"),
            helps=Count("pk", filter=Q(is_opening=False) & ~Q(author_id=thread_author)),
        )
        .values_list("author_id", "day", "n", "helps")
    )
    for user_id, d, n, helps in posts:
        entry = entry_of(user_id, d)
        entry.posts += n
        entry.helps += helps
        entry.contributions += n

    sources = (
        (Item.objects.filter(community_id=community_id), "proposed_by_id", "contributions"),
        (
            ItemRevision.objects.filter(item__community_id=community_id, editor__isnull=False),
            "editor_id",
            "contributions",
        ),
        (
            ChangeProposal.objects.filter(item__community_id=community_id),
            "proposed_by_id",
            "contributions",
        ),
        (Vote.objects.filter(post__community_id=community_id), "voter_id", "presence"),
        (AdoptionReport.objects.filter(post__community_id=community_id), "member_id", "presence"),
        (RSVP.objects.filter(event__community_id=community_id), "user_id", "presence"),
        (Evidence.objects.filter(item__community_id=community_id), "member_id", "presence"),
    )
    for qs, user_field, counter in sources:
        rows = (
            qs.filter(window)
            .values(user_field, day=day)
            .annotate(n=Count("pk"))
            .values_list(user_field, "day", "n")
        )
        for user_id, d, n in rows:
            entry = entry_of(user_id, d)
            setattr(entry, counter, getattr(entry, counter) + n)
    return activity


def _days_filter(days: list[date]) -> Q:
    """Return ``created_at`` on one of *days* (UTC), consecutive days as one range."""
    ranges: list[list[date]] = []
    for d in sorted(set(days)):
        if ranges and (d - ranges[-1][1]).days == 1:
            ranges[-1][1] = d
        else:
            ranges.append([d, d])
    q = Q()
    for first, last in ranges:
        q |= Q(
            created_at__gte=datetime(first.year, first.month, first.day, tzinfo=UTC),
            created_at__lt=datetime(last.year, last.month, last.day, tzinfo=UTC)
            + timedelta(days=1),
        )
    return q


def activity_marks(community_id: int) -> list[tuple[int, date | None]]:
    """Return the community's activity marks ``(id, day)`` (day None: every day)."""
    return list(
        ActivityMark.objects.filter(community_id=community_id)
        .order_by("pk")
        .values_list("pk", "day")
    )


def kept_activity_days(community_id: int, *, since: date) -> dict[int, dict[float, DayActivity]]:
    """Return the community's activity per member and day kept in ``KeptActivityDay`` from
    *since* on, keyed like ``Activity.by_member_day``. On PostgreSQL by binary ``COPY`` (80,000
    rows without a Python object per value; the day as days since 1970, times 86,400 the same
    double as ``day_epoch``)."""
    if connection.vendor == "postgresql":
        columns = _pg_binary_columns(
            f"""SELECT user_id, day - DATE '1970-01-01', posts, helps, contributions, presence
                FROM {KeptActivityDay._meta.db_table}
                WHERE community_id = %s AND day >= %s""",
            [community_id, since],
            "innnnn",
        )
        users, days, *counts = (c.tolist() for c in columns)
        rows = zip(users, (d * 86400.0 for d in days), *counts, strict=True)
    else:
        rows = (
            (user_id, day_epoch(day), *counts)
            for user_id, day, *counts in KeptActivityDay.objects.filter(
                community_id=community_id, day__gte=since
            ).values_list("user_id", "day", "posts", "helps", "contributions", "presence")
        )
    by_member_day: dict[int, dict[float, DayActivity]] = {}
    with _collector_paused():
        for user_id, day, posts, helps, contributions, presence in rows:
            days = by_member_day.get(user_id)
            if days is None:
                days = by_member_day[user_id] = {}
            days[day] = DayActivity(posts, helps, contributions, presence)
    return by_member_day


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cycle collector: 80,000 new objects without cycles set off passes over
    every object of the process, half the CPU of building them (0.15-0.2 -> 0.05-0.08 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def contributors_between(community_id: int, *, since: datetime, until: datetime) -> set[int]:
    """Return who contributed (posted, proposed or edited an item) in ``[since, until)``."""
    window = {"created_at__gte": since, "created_at__lt": until}
    authors = set(
        Post.objects.filter(community_id=community_id, is_hidden=False, **window)
        .values_list("author_id", flat=True)
        .distinct()
    )
    return authors | item_contributors_between(community_id, since=since, until=until)


def item_contributors_between(community_id: int, *, since: datetime, until: datetime) -> set[int]:
    """Return who proposed or edited an item of the repertoire in ``[since, until)``."""
    window = {"created_at__gte": since, "created_at__lt": until}
    authors = set(
        Item.objects.filter(community_id=community_id, **window)
        .values_list("proposed_by_id", flat=True)
        .distinct()
    )
    authors.update(
        ItemRevision.objects.filter(item__community_id=community_id, editor__isnull=False, **window)
        .values_list("editor_id", flat=True)
        .distinct()
    )
    return authors


def first_and_second_posts(
    community_id: int, *, until: datetime, since: datetime | None = None
) -> list[tuple[float, float | None]]:
    """Return (first post, second post or None) for every member who posted up to *until*;
    with *since*, only for those whose first post is at or after *since*.

    ``newcomer_retention`` counts only members whose first post lies in its cohort window: with
    *since* at that window's start, this reads the window's posts (by the ``(community,
    created_at)`` index) and looks each of their authors up once in ``(author, created_at)`` for
    an earlier post, instead of ranking every post of the community.
    """
    posts = Post.objects.filter(community_id=community_id, is_hidden=False, created_at__lte=until)
    if since is not None:
        earlier = Post.objects.filter(
            community_id=community_id,
            is_hidden=False,
            author_id=OuterRef("author_id"),
            created_at__lt=since,
        )
        posts = posts.filter(created_at__gte=since).exclude(Exists(earlier))
    ranked = (
        posts.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("author_id")],
                order_by=[F("created_at").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=2)
        .values_list("author_id", "created_at", "rank")
    )
    by_author: dict[int, list] = {}
    for author_id, created, rank in ranked:
        by_author.setdefault(author_id, [None, None])[rank - 1] = epoch(created)
    return [(first, second) for first, second in by_author.values()]


def posts_per_day(
    community_id: int, *, since: datetime, until: datetime
) -> list[tuple[float, int]]:
    """Return ``(midnight, posts)`` for each day in ``[since, until]`` with posts."""
    rows = (
        Post.objects.filter(
            community_id=community_id, is_hidden=False, created_at__gte=since, created_at__lte=until
        )
        .values(day=TruncDate("created_at"))
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(day_epoch(d), n) for d, n in rows]


def counts_per_day(
    qs, *, since: datetime, until: datetime, field: str = "created_at"
) -> dict[float, int]:
    rows = (
        qs.filter(**{f"{field}__gte": since, f"{field}__lte": until})
        .values(day=TruncDate(field))
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return {day_epoch(d): n for d, n in rows}


@dataclass
class Repertoire:
    published_per_day: dict[float, int]
    total: int
    worked_per_day: dict[float, int]  # "worked for me" on posts + "worked" evidence on items
    used_per_day: dict[float, int]  # "I used this" reports on items (any outcome)


def repertoire(community_id: int, *, since: datetime, until: datetime) -> Repertoire:
    """Return the repertoire's growth and use: one GROUP BY per source."""
    items = Item.objects.filter(community_id=community_id)
    total = (
        items.filter(published_at__isnull=False, published_at__lte=until)
        .filter(Q(archived_at__isnull=True) | Q(archived_at__gt=until))
        .count()
    )
    # The report's post's community by an index probe per report: a join hashed every post of
    # the community (680,000 in the bench) to count a window's 8,000 reports (0.25 -> 0.12 s).
    reports = AdoptionReport.objects.annotate(
        post_community=Subquery(Post.objects.filter(pk=OuterRef("post_id")).values("community_id"))
    )
    worked = counts_per_day(
        reports.filter(post_community=community_id, worked=True), since=since, until=until
    )
    for day, n in counts_per_day(
        Evidence.objects.filter(item__community_id=community_id, outcome=Evidence.Outcome.WORKED),
        since=since,
        until=until,
    ).items():
        worked[day] = worked.get(day, 0) + n
    return Repertoire(
        published_per_day=counts_per_day(
            items.filter(published_at__isnull=False), since=since, until=until, field="published_at"
        ),
        total=total,
        worked_per_day=worked,
        used_per_day=counts_per_day(
            Evidence.objects.filter(item__community_id=community_id), since=since, until=until
        ),
    )


# --- the interaction log -----------------------------------------------------------------------


def log_high_water(community_id: int) -> int:
    """Return the highest interaction id of the community (0 if none)."""
    return Interaction.objects.filter(community_id=community_id).aggregate(m=Max("pk"))["m"] or 0


@functools.cache
def _sqlite_has_math() -> bool:
    """Return whether this SQLite build has the math functions (``exp``)."""
    with connection.cursor() as cursor:
        try:
            cursor.execute("SELECT exp(0.0)")
        except Exception:  # OperationalError: no such function
            return False
        return cursor.fetchone()[0] == 1.0


def sql_aggregation_available() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return _sqlite_has_math()
    return False


# ``occurred_at`` as epoch microseconds on SQLite, where Django stores aware datetimes as UTC
# text ("2026-03-15 13:00:00.123456"): whole seconds from strftime, microseconds from the text
# (julianday() would round them).
_SQLITE_MICROS = (
    "CAST(strftime('%%s', occurred_at) AS INTEGER) * 1000000"
    " + CAST(substr(occurred_at || '000000', 21, 6) AS INTEGER)"
)


def _pair_sql(vendor: str, *, until: bool) -> str:
    """Return the per-pair aggregation of log rows referred to a reference time: the SQL twin of
    ``metrics.compute.pairs.table_from_rows``.

    Each row's term is rounded to a whole number of units, so the integer ``SUM`` is exact
    whatever order the database adds in (a parallel plan included), and the rows of a range of
    ids give the sums to add to a table that holds the rows before it. Every column comes out
    non-null (channels never used as NaN on PostgreSQL, null on SQLite), in (a, b) order.
    """
    symmetric = ", ".join(f"'{k}'" for k in sorted(SYMMETRIC_KINDS))
    if vendor == "postgresql":
        t = "date_part('epoch', occurred_at)"
        month = (
            "(date_part('year', occurred_at AT TIME ZONE 'UTC') * 12"
            " + date_part('month', occurred_at AT TIME ZONE 'UTC') - 1)::int"
        )
        months = (
            "bit_or(CASE WHEN month - %s BETWEEN 0 AND {last} THEN 1::bigint << (month - %s) END)"
        )
        greatest, least, integer, never = "GREATEST", "LEAST", "bigint", "'NaN'::float8"
    else:
        t = f"(({_SQLITE_MICROS}) / 1000000.0)"
        month = (
            "(CAST(strftime('%%Y', occurred_at) AS INTEGER) * 12"
            " + CAST(strftime('%%m', occurred_at) AS INTEGER) - 1)"
        )
        # No bit_or aggregate in SQLite: the sum of distinct powers of two is their OR.
        months = (
            "SUM(DISTINCT CASE WHEN month - %s BETWEEN 0 AND {last} THEN 1 << (month - %s) END)"
        )
        greatest, least, integer, never = "max", "min", "INTEGER", "NULL"
    months = months.format(last=MONTH_BITS - 1)
    weights = " ".join(f"WHEN '{k}' THEN %s" for k in KINDS)
    channels = ",\n".join(
        "COALESCE(MAX(CASE WHEN kind IN ({}) THEN t END), {})".format(
            ", ".join(f"'{k}'" for k, c in CHANNEL_OF_KIND.items() if c == channel), never
        )
        for channel in CHANNELS
    )
    a = "CASE WHEN actor_id < target_id THEN actor_id ELSE target_id END"
    b = "CASE WHEN actor_id < target_id THEN target_id ELSE actor_id END"
    table = Interaction._meta.db_table
    until_sql = "AND occurred_at <= %s" if until else ""
    return f"""
        SELECT CAST(a AS {integer}), CAST(b AS {integer}),
               CAST(SUM(CASE WHEN actor_id < target_id THEN q ELSE 0 END) AS {integer}),
               CAST(SUM(CASE WHEN actor_id > target_id THEN q ELSE 0 END) AS {integer}),
               MIN(t), MAX(t),
               {channels},
               COALESCE({months}, 0)
        FROM (
            SELECT actor_id, target_id, kind, a, b, t, month,
                   CAST(round(weight * exp({greatest}({least}((t - %s) * %s, {MAX_EXPONENT!r}),
                                                      {MIN_EXPONENT}))
                              / divisor * {QUANTUM!r}) AS {integer}) AS q
            FROM (
                SELECT actor_id, target_id, kind, {a} AS a, {b} AS b, {t} AS t, {month} AS month,
                       CASE kind {weights} ELSE 0 END AS weight,
                       CASE WHEN kind IN ({symmetric})
                            THEN 2 * {greatest}(group_size - 1, 1) ELSE 1 END AS divisor
                FROM {table}
                WHERE community_id = %s AND id > %s AND id <= %s AND actor_id <> target_id
                {until_sql}
            ) AS log_rows
        ) AS terms
        GROUP BY a, b
        ORDER BY a, b
    """


def _pg_binary_columns(sql: str, params: list, kinds: str) -> list[np.ndarray]:
    """Run *sql* on PostgreSQL and return its columns as arrays, through ``COPY … (FORMAT
    binary)``: every column non-null and fixed-width (*kinds*: "i" bigint or timestamptz, "f"
    float8, "n" integer), so the rows have one fixed layout that numpy reads in place, with no
    Python object per value (306,000 rows of 15 columns: about 0.1 s, against 1.5 s through the
    cursor). Integer columns come back as int64, float columns as float64."""
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(sql, params).decode()
        buffer = io.BytesIO()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getbuffer()
    # Header: signature (11 bytes), flags (4), extension length (4) and the extension.
    offset = 19 + int.from_bytes(data[15:19], "big")
    wire = {"i": ">i8", "f": ">f8", "n": ">i4"}
    fields = [("count", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"length{i}", ">i4"), (f"value{i}", wire[kind])]
    layout = np.dtype(fields)
    rows = (len(data) - offset - 2) // layout.itemsize  # the trailer is two bytes
    records = np.frombuffer(data, dtype=layout, count=rows, offset=offset)
    if rows and not (
        (records["count"] == len(kinds)).all()
        and all(
            (records[f"length{i}"] == layout[f"value{i}"].itemsize).all() for i in range(len(kinds))
        )
    ):
        raise ValueError("unexpected binary COPY layout (a null or a value of another width)")
    return [
        records[f"value{i}"].astype(np.float64 if kind == "f" else np.int64)
        for i, kind in enumerate(kinds)
    ]


_TABLE_KINDS = "iiiiff" + "f" * len(CHANNELS) + "i"


def _table_from_columns(ref: float, columns: list) -> PairTable:
    a, b, units_ab, units_ba, first, last = columns[:6]
    end = 6 + len(CHANNELS)
    return PairTable(
        ref,
        a,
        b,
        units_ab,
        units_ba,
        # As the database stores them (microseconds), so a run that reloads the table scores
        # exactly what this one scored.
        np.round(first, 6),
        np.round(last, 6),
        np.stack(columns[6:end], axis=1) if len(a) else np.zeros((0, len(CHANNELS))),
        columns[end],
    )


def log_pair_table(
    community_id: int,
    *,
    after_pk: int,
    upto_pk: int,
    until: datetime | None,
    ref: float,
    config: MetricsConfig,
) -> PairTable:
    """Return the pair table of the log rows with ``after_pk < id <= upto_pk`` (and
    ``occurred_at <= until``) referred to *ref*: on PostgreSQL the raw rows read by binary
    ``COPY`` and folded in numpy (``log_pair_table_numpy``: the same bits as its ``GROUP BY``,
    2.5–4 times faster for 1,000,000 rows and faster at every size measured, down to 5 rows);
    on SQLite one GROUP BY where it can compute ``exp``; else (an SQLite built without math
    functions) row by row in Python.

    With ``after_pk`` = the watermark, this reads only the new interactions (an index range on
    the primary key); ``pairs.merge`` adds their sums to the stored table.
    """
    if upto_pk <= after_pk:
        return PairTable.empty(ref)
    if not sql_aggregation_available():
        return table_from_rows(
            log_rows(community_id, after_pk=after_pk, upto_pk=upto_pk, until=until),
            ref=ref,
            config=config,
        )
    if connection.vendor == "postgresql":
        return log_pair_table_numpy(
            community_id, after_pk=after_pk, upto_pk=upto_pk, until=until, ref=ref, config=config
        )
    return log_pair_table_sql(
        community_id, after_pk=after_pk, upto_pk=upto_pk, until=until, ref=ref, config=config
    )


def log_pair_table_sql(
    community_id: int,
    *,
    after_pk: int,
    upto_pk: int,
    until: datetime | None,
    ref: float,
    config: MetricsConfig,
) -> PairTable:
    """Return ``log_pair_table``'s table aggregated by the database (``_pair_sql``): what SQLite
    runs; on PostgreSQL, the reference the numpy fold is tested against."""
    if upto_pk <= after_pk:
        return PairTable.empty(ref)
    vendor = connection.vendor
    base = month_base(ref)
    params = (
        [base, base]
        + [ref, unit_rate(config)]
        + [config.weight(k) for k in KINDS]
        + [community_id, after_pk, upto_pk]
        + ([until] if until is not None else [])
    )
    sql = _pair_sql(vendor, until=until is not None)
    if vendor == "postgresql":
        return _table_from_columns(ref, _pg_binary_columns(sql, params, _TABLE_KINDS))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return PairTable.empty(ref)
    table = table_from_columns(ref, rows)
    table.first, table.last = np.round(table.first, 6), np.round(table.last, 6)
    return table


# PostgreSQL's binary timestamps count microseconds from 2000-01-01 (UTC).
_PG_EPOCH_MICROS = 946_684_800_000_000


def _pg_epoch_micros(stamps: np.ndarray) -> np.ndarray:
    """Return PostgreSQL binary timestamps (``_pg_binary_columns``' "i") as epoch microseconds."""
    return stamps + np.int64(_PG_EPOCH_MICROS)


def _log_columns_sql(vendor: str, *, until: bool) -> str:
    """Return the raw log columns of a range of ids: actor, target, kind code
    (``log_fold.KIND_CODES``, -1 for any other kind), ``occurred_at`` (PostgreSQL: its binary
    form, a 64-bit count of microseconds from 2000; SQLite: epoch microseconds) and group size,
    the others 32-bit integers on PostgreSQL (a quarter fewer bytes than bigint: 0.1 s less for
    1,000,000 rows)."""
    codes = " ".join(f"WHEN '{k}' THEN {code}" for k, code in KIND_CODES.items())
    micros = "occurred_at" if vendor == "postgresql" else _SQLITE_MICROS
    until_sql = "AND occurred_at <= %s" if until else ""
    return f"""
        SELECT CAST(actor_id AS INTEGER), CAST(target_id AS INTEGER),
               CASE kind {codes} ELSE {UNKNOWN_KIND} END, {micros}, CAST(group_size AS INTEGER)
        FROM {Interaction._meta.db_table}
        WHERE community_id = %s AND id > %s AND id <= %s AND actor_id <> target_id
        {until_sql}
    """


def log_pair_table_numpy(
    community_id: int,
    *,
    after_pk: int,
    upto_pk: int,
    until: datetime | None,
    ref: float,
    config: MetricsConfig,
) -> PairTable:
    """Return ``log_pair_table``'s table with the aggregation done in numpy: the raw columns of
    the rows read (PostgreSQL: by binary ``COPY``) and folded by ``log_fold``, which reproduces
    this database's SQL aggregation bit for bit (its ``round``, the C library's ``exp``)."""
    if upto_pk <= after_pk:
        return PairTable.empty(ref)
    vendor = connection.vendor
    sql = _log_columns_sql(vendor, until=until is not None)
    params = [community_id, after_pk, upto_pk] + ([until] if until is not None else [])
    if vendor == "postgresql":
        actor, target, kind, stamp, size = _pg_binary_columns(sql, params, "nnnin")
        micros = _pg_epoch_micros(stamp)
        rounding = "half_even"
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return PairTable.empty(ref)
        actor, target, kind, micros, size = np.array(rows, np.int64).T
        rounding = "half_up"
    return table_from_log_columns(
        actor, target, kind, micros, size, ref=ref, config=config, rounding=rounding
    )


def log_rows(
    community_id: int, *, after_pk: int, upto_pk: int, until: datetime | None
) -> Iterator[tuple]:
    """Yield ``(actor, target, kind, t, group_size)`` log rows with ``after_pk < id <=
    upto_pk``, streamed in chunks."""
    qs = Interaction.objects.filter(community_id=community_id, pk__gt=after_pk, pk__lte=upto_pk)
    if until is not None:
        qs = qs.filter(occurred_at__lte=until)
    for actor, target, kind, occurred, size in (
        qs.order_by().values_list("actor_id", "target_id", "kind", "occurred_at", "group_size")
    ).iterator(chunk_size=LOG_CHUNK_SIZE):
        yield actor, target, kind, occurred.timestamp(), size


@dataclass
class StoredTies:
    """The tie table as a run reads it back: the pair states and each row's stored score."""

    table: PairTable
    score: np.ndarray
    tie_class: np.ndarray  # int8 codes (pairs.CLASS_NAMES)


_CLASS_SQL = "CASE tie_class WHEN 'strong' THEN 2 WHEN 'weak' THEN 1 ELSE 0 END"


def load_tie_table(community_id: int, *, ref: float) -> StoredTies:
    """Return the community's stored tie table (states referred to *ref*) in (a, b) order."""
    table_name = TieStrength._meta.db_table
    if connection.vendor == "postgresql":
        # Timestamps as they are stored (microseconds from 2000) and the rows in the heap's
        # order, sorted here: PostgreSQL's sort of 326,000 rows spilled to disk under the default
        # work_mem and a date_part per timestamp cost the server time (bench/README.md, "The
        # log folded in numpy").
        never = "'NaN'::float8"
        selected = ", ".join(
            c if c.endswith("_at")
            else f"COALESCE({c}, {never})" if c in CHANNEL_COLUMNS
            else f"{c}::bigint"
            for c in TIE_STATE_COLUMNS
        )  # fmt: skip
        columns = _pg_binary_columns(
            f"SELECT {selected}, score, ({_CLASS_SQL})::bigint FROM {table_name}"
            " WHERE community_id = %s",
            [community_id],
            "".join("f" if c in CHANNEL_COLUMNS else "i" for c in TIE_STATE_COLUMNS) + "fi",
        )
        for i, c in enumerate(TIE_STATE_COLUMNS):
            if c.endswith("_at"):  # date_part('epoch', …)'s double, exactly
                columns[i] = _pg_epoch_micros(columns[i]) / 1e6
        order = np.argsort((columns[0] << KEY_SHIFT) | columns[1])
        columns = [column[order] for column in columns]
        return StoredTies(
            _table_from_columns(ref, columns[:-2]), columns[-2], columns[-1].astype(np.int8)
        )
    rows = [
        (a, b, u_ab, u_ba, first.timestamp(), last.timestamp(), *rest)
        for a, b, u_ab, u_ba, first, last, *rest in TieStrength.objects.filter(
            community_id=community_id
        )
        .order_by("user_a_id", "user_b_id")
        .values_list(*TIE_STATE_COLUMNS, "score", "tie_class")
    ]
    if not rows:
        return StoredTies(PairTable.empty(ref), np.zeros(0), np.zeros(0, np.int8))
    table = table_from_columns(ref, [row[:-2] for row in rows])
    return StoredTies(
        table,
        np.array([row[-2] for row in rows], np.float64),
        np.array([CLASS_CODES[row[-1]] for row in rows], np.int8),
    )
