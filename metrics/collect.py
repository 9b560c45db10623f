"""Read what the metrics need from the database, aggregated in SQL, as plain records.

Everything here is a read; ``metrics/pipeline/run.py`` turns the records into a snapshot with the
pure functions of ``metrics/compute``. Times handed on are UTC epoch seconds (floats).

Where SQL aggregates naturally it does: activity per member and day, posts per day, the first
response of each thread, and each pair's decayed interaction sums, which are one ``GROUP BY`` over
the log on PostgreSQL and on SQLite builds with math functions (``exp``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate

from communities.models import Interaction, Membership, MembershipEvent, ProfessionalGroup, Profile
from knowledge.models import ChangeProposal, Evidence, Item, ItemRevision
from metrics.compute.config import MetricsConfig
from metrics.compute.participation import ThreadRecord
from metrics.compute.ties import (
    CHANNEL_OF_KIND,
    CHANNELS,
    DAY,
    KINDS,
    LN2,
    MIN_EXPONENT,
    QUANTUM,
    SYMMETRIC_KINDS,
    PairState,
    last_contacts,
    month_number,
    pair_key,
    pair_states,
    units_to_intensity,
)
from metrics.models import TIE_STATE_COLUMNS, TieStrength
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


def member_activity(community_id: int, *, since: datetime, until: datetime) -> Activity:
    """Return what each member did per day in ``[since, until]``: one GROUP BY per source."""
    activity = Activity(since=since, until=until)
    window = {"created_at__gte": since, "created_at__lte": until}
    day = TruncDate("created_at")

    posts = (
        Post.objects.filter(community_id=community_id, is_hidden=False, **window)
        .values("author_id", day=day)
        .annotate(
            n=Count("pk"),
            helps=Count("pk", filter=Q(is_opening=False) & ~Q(thread__author_id=F("author_id"))),
        )
        .values_list("author_id", "day", "n", "helps")
    )
    for user_id, d, n, helps in posts:
        activity.add(user_id, day_epoch(d), posts=n, helps=helps, contributions=n)

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
            qs.filter(**window)
            .values(user_field, day=day)
            .annotate(n=Count("pk"))
            .values_list(user_field, "day", "n")
        )
        for user_id, d, n in rows:
            activity.add(user_id, day_epoch(d), **{counter: n})
    return activity


def contributors_between(community_id: int, *, since: datetime, until: datetime) -> set[int]:
    """Return who contributed (posted, proposed or edited an item) in ``[since, until)``."""
    window = {"created_at__gte": since, "created_at__lt": until}
    authors = set(
        Post.objects.filter(community_id=community_id, is_hidden=False, **window)
        .values_list("author_id", flat=True)
        .distinct()
    )
    authors.update(
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
    community_id: int, *, until: datetime
) -> list[tuple[float, float | None]]:
    """Return (first post, second post or None) for every member who posted up to *until*."""
    ranked = (
        Post.objects.filter(community_id=community_id, is_hidden=False, created_at__lte=until)
        .annotate(
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
    worked = counts_per_day(
        AdoptionReport.objects.filter(post__community_id=community_id, worked=True),
        since=since,
        until=until,
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


# --- threads -----------------------------------------------------------------------------------


def thread_records(
    community_id: int, *, since: datetime, until: datetime, moderator_ids: set[int]
) -> list[ThreadRecord]:
    """Return the visible threads started in ``[since, until]`` with their first response,
    first answer and solution (one query; the responder's role is their current one)."""
    others = Post.objects.filter(
        thread_id=OuterRef("pk"), is_hidden=False, is_opening=False, created_at__lte=until
    ).exclude(author_id=OuterRef("author_id"))
    first_response = others.order_by("created_at", "pk")
    rows = (
        Thread.objects.filter(
            community_id=community_id, is_hidden=False, created_at__gte=since, created_at__lte=until
        )
        .annotate(
            first_response_at=Subquery(first_response.values("created_at")[:1]),
            first_responder_id=Subquery(first_response.values("author_id")[:1]),
            first_answer_at=Subquery(
                others.filter(is_answer=True).order_by("created_at").values("created_at")[:1]
            ),
        )
        .values_list(
            "pk",
            "author_id",
            "created_at",
            "kind",
            "title",
            "first_response_at",
            "first_responder_id",
            "first_answer_at",
            "accepted_at",
        )
        .order_by("pk")
    )
    records = []
    for pk, author_id, created, kind, title, response, responder, answer, accepted in rows:
        records.append(
            ThreadRecord(
                thread_id=pk,
                author_id=author_id,
                created_at=epoch(created),
                is_question=kind == Thread.Kind.QUESTION,
                title=title,
                first_response_at=epoch(response) if response else None,
                first_responder_is_moderator=(responder in moderator_ids) if responder else None,
                first_answer_at=epoch(answer) if answer else None,
                solved_at=epoch(accepted) if accepted and accepted <= until else None,
            )
        )
    return records


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


# Months with contact are aggregated as bits relative to a base month (PostgreSQL bit_or): the
# last MONTH_BITS - 2 months before the run's month, that month and the next one. Only the last
# few months matter to the score (repeat pairs: 6), so older ones are dropped.
MONTH_BITS = 62


def _pair_sql(vendor: str, *, touched: bool, until: bool) -> str:
    """Return the per-pair aggregation of log rows: ``metrics.compute.ties.pair_states`` in SQL.

    Each row's term is referred to its pair's last contact (a window ``MAX``) and rounded to a
    whole number of quanta, so the integer ``SUM`` is exact whatever order the database adds in
    (a parallel plan included). With *touched*, only pairs with a row after a given id.
    """
    symmetric = ", ".join(f"'{k}'" for k in sorted(SYMMETRIC_KINDS))
    if vendor == "postgresql":
        t = "date_part('epoch', occurred_at)"
        month = (
            "(date_part('year', occurred_at AT TIME ZONE 'UTC') * 12"
            " + date_part('month', occurred_at AT TIME ZONE 'UTC') - 1)::int"
        )
        last_bit = MONTH_BITS - 1
        months = (
            f"bit_or(CASE WHEN month - %s BETWEEN 0 AND {last_bit}"
            " THEN 1::bigint << (month - %s) END)"
        )
        greatest, integer = "GREATEST", "bigint"
    else:
        # Django stores aware datetimes on SQLite as UTC text ("2026-03-15 13:00:00.123456");
        # whole seconds from strftime, microseconds from the text (julianday() would round them).
        t = (
            "((CAST(strftime('%%s', occurred_at) AS INTEGER) * 1000000"
            " + CAST(substr(occurred_at || '000000', 21, 6) AS INTEGER)) / 1000000.0)"
        )
        month = (
            "(CAST(strftime('%%Y', occurred_at) AS INTEGER) * 12"
            " + CAST(strftime('%%m', occurred_at) AS INTEGER) - 1)"
        )
        months = "group_concat(DISTINCT month)"  # SQLite has no bit_or aggregate
        greatest, integer = "max", "INTEGER"
    weights = " ".join(f"WHEN '{k}' THEN %s" for k in KINDS)
    channels = ",\n".join(
        "MAX(CASE WHEN kind IN ({}) THEN t END)".format(
            ", ".join(f"'{k}'" for k, c in CHANNEL_OF_KIND.items() if c == channel)
        )
        for channel in CHANNELS
    )
    a = "CASE WHEN actor_id < target_id THEN actor_id ELSE target_id END"
    b = "CASE WHEN actor_id < target_id THEN target_id ELSE actor_id END"
    table = Interaction._meta.db_table
    until_sql = "AND occurred_at <= %s" if until else ""
    touched_sql = (
        f"""AND ({a}, {b}) IN (
                SELECT {a}, {b} FROM {table}
                WHERE community_id = %s AND id > %s AND id <= %s AND actor_id <> target_id
                {until_sql})"""
        if touched
        else ""
    )
    return f"""
        SELECT a, b,
               SUM(CASE WHEN actor_id < target_id THEN q ELSE 0 END),
               SUM(CASE WHEN actor_id > target_id THEN q ELSE 0 END),
               MIN(t), MAX(t),
               {channels},
               {months}
        FROM (
            SELECT actor_id, target_id, kind, a, b, t, month,
                   CAST(round(weight
                              * exp({greatest}((t - MAX(t) OVER (PARTITION BY a, b)) * %s,
                                               {MIN_EXPONENT}))
                              / divisor * {QUANTUM!r}) AS {integer}) AS q
            FROM (
                SELECT actor_id, target_id, kind, {a} AS a, {b} AS b, {t} AS t, {month} AS month,
                       CASE kind {weights} ELSE 0 END AS weight,
                       CASE WHEN kind IN ({symmetric})
                            THEN 2 * {greatest}(group_size - 1, 1) ELSE 1 END AS divisor
                FROM {table}
                WHERE community_id = %s AND id <= %s AND actor_id <> target_id {until_sql}
                {touched_sql}
            ) AS log_rows
        ) AS terms
        GROUP BY a, b
    """


def log_pair_states(
    community_id: int,
    *,
    upto_pk: int,
    until: datetime | None,
    config: MetricsConfig,
    as_of: float,
    touched_after: int = 0,
) -> Iterator[PairState]:
    """Yield the state of every pair in the log rows with ``id <= upto_pk`` (and ``occurred_at
    <= until``), each from all of its rows, in one GROUP BY in the database; with
    *touched_after*, only the pairs with a row after that id. *as_of* places the months kept."""
    vendor = connection.vendor
    base = month_number(as_of) - (MONTH_BITS - 2)
    until_params = [until] if until is not None else []
    # Parameters in the order of the text: month bits (PostgreSQL), decay, weights, filters.
    params = (
        ([base, base] if vendor == "postgresql" else [])
        + [LN2 / (config.half_life_days * DAY)]
        + [config.weight(k) for k in KINDS]
        + [community_id, upto_pk]
        + until_params
        + ([community_id, touched_after, upto_pk] + until_params if touched_after else [])
    )
    sql = _pair_sql(vendor, touched=bool(touched_after), until=until is not None)
    end = 6 + len(CHANNELS)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(LOG_CHUNK_SIZE):
            for row in rows:
                channels = {
                    c: t for c, t in zip(CHANNELS, row[6:end], strict=True) if t is not None
                }
                # First and last as the database will store them (microseconds), so a run
                # that reloads the tie table scores exactly what this one scored.
                last = round(row[5], 6)
                yield PairState(
                    row[0],
                    row[1],
                    units_to_intensity(row[2]),
                    units_to_intensity(row[3]),
                    last,
                    round(row[4], 6),
                    last,
                    channels,
                    _months(row[end], base),
                )


def _months(value, base: int) -> set[int]:
    if value is None:
        return set()
    if isinstance(value, str):  # SQLite: "24312,24313"
        return {int(float(m)) for m in value.split(",")}
    bits = int(value) & ((1 << 64) - 1)
    months = set()
    while bits:
        low = bits & -bits
        months.add(base + low.bit_length() - 1)
        bits ^= low
    return months


def log_rows(
    community_id: int, *, upto_pk: int, until: datetime | None, touched_after: int = 0
) -> Iterator[tuple]:
    """Yield ``(actor, target, kind, t, group_size)`` log rows with ``id <= upto_pk``, streamed
    in chunks; with *touched_after*, only the rows of pairs with a row after that id."""
    qs = Interaction.objects.filter(community_id=community_id, pk__lte=upto_pk)
    if until is not None:
        qs = qs.filter(occurred_at__lte=until)
    touched = None
    if touched_after:
        new = qs.filter(pk__gt=touched_after)
        touched = {pair_key(a, b) for a, b in new.values_list("actor_id", "target_id")}
        people = Q(actor_id__in=new.values("actor_id")) | Q(actor_id__in=new.values("target_id"))
        qs = qs.filter(people).filter(
            Q(target_id__in=new.values("actor_id")) | Q(target_id__in=new.values("target_id"))
        )
    for actor, target, kind, occurred, size in (
        qs.order_by().values_list("actor_id", "target_id", "kind", "occurred_at", "group_size")
    ).iterator(chunk_size=LOG_CHUNK_SIZE):
        if touched is None or pair_key(actor, target) in touched:
            yield actor, target, kind, occurred.timestamp(), size


def fold_log(
    states: dict[tuple[int, int], PairState],
    community_id: int,
    *,
    after_pk: int,
    upto_pk: int,
    until: datetime | None,
    config: MetricsConfig,
    as_of: float,
) -> set[tuple[int, int]]:
    """Bring *states* (mutated) up to the log rows with ``id <= upto_pk``: recompute every pair
    with a row after *after_pk* from all of its rows; return their keys.

    A pair's state is a function of its own rows, so a pair recomputed here has exactly the bits
    a full run gives it, and the pairs left alone already had them. Aggregated per pair in SQL
    where the database can compute ``exp``; else (an SQLite built without math functions) row
    by row in Python, the rows streamed in chunks twice (last contacts, then the sums) so memory
    stays flat however long the log is.
    """
    touched: set[tuple[int, int]] = set()
    if upto_pk <= after_pk:
        return touched
    if sql_aggregation_available():
        fresh = log_pair_states(
            community_id,
            upto_pk=upto_pk,
            until=until,
            config=config,
            as_of=as_of,
            touched_after=after_pk,
        )
    else:
        last = last_contacts(
            log_rows(community_id, upto_pk=upto_pk, until=until, touched_after=after_pk)
        )
        fresh = pair_states(
            log_rows(community_id, upto_pk=upto_pk, until=until, touched_after=after_pk),
            last=last,
            config=config,
        ).values()
    for state in fresh:
        key = (state.a, state.b)
        states[key] = state
        touched.add(key)
    return touched


def load_pair_states(
    community_id: int,
) -> tuple[dict[tuple[int, int], PairState], dict[tuple[int, int], tuple[str, float]]]:
    """Return the stored tie table as pair states (the starting point of an incremental run)
    and each pair's stored class and score."""
    if connection.vendor == "postgresql":
        return _load_pair_states_raw(community_id, TieStrength._meta.db_table)
    states: dict[tuple[int, int], PairState] = {}
    classes: dict[tuple[int, int], str] = {}
    rows = (
        TieStrength.objects.filter(community_id=community_id)
        .order_by()
        .values_list(*TIE_STATE_COLUMNS, "tie_class", "score")
    )
    for (
        a,
        b,
        i_ab,
        i_ba,
        ref_at,
        first_at,
        last_at,
        channels,
        months,
        tie_class,
        score,
    ) in rows.iterator(chunk_size=LOG_CHUNK_SIZE):
        states[(a, b)] = PairState(
            a,
            b,
            i_ab,
            i_ba,
            ref_at.timestamp(),
            first_at.timestamp(),
            last_at.timestamp(),
            channels,
            set(months),
        )
        classes[(a, b)] = (tie_class, score)
    return states, classes


# TIE_STATE_COLUMNS as ``_load_pair_states_raw`` selects them: times as epoch seconds, JSON as text.
_RAW_STATE_COLUMNS = ", ".join(
    f"date_part('epoch', {name})" if name.endswith("_at")
    else f"{name}::text" if name in ("channels", "months")
    else name
    for name in TIE_STATE_COLUMNS
)  # fmt: skip


def _load_pair_states_raw(community_id: int, table: str) -> tuple[dict, dict]:
    """The same as ``load_pair_states`` on PostgreSQL, without model conversions: times come as
    epoch seconds (rounded to the microsecond they were stored with), JSON as text."""
    states: dict[tuple[int, int], PairState] = {}
    classes: dict[tuple[int, int], str] = {}
    loads = json.loads
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_RAW_STATE_COLUMNS}, tie_class, score FROM {table} WHERE community_id = %s",
            [community_id],
        )
        while rows := cursor.fetchmany(LOG_CHUNK_SIZE):
            for a, b, i_ab, i_ba, ref, first, last, channels, months, tie_class, score in rows:
                states[(a, b)] = PairState(
                    a,
                    b,
                    i_ab,
                    i_ba,
                    round(ref, 6),
                    round(first, 6),
                    round(last, 6),
                    loads(channels),
                    set(loads(months)),
                )
                classes[(a, b)] = (tie_class, score)
    return states, classes
