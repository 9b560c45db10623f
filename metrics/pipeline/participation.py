"""The participation reads of a run: thread records, posts per day, this window's contributors.

A warm incremental run of a 10,000-member community spent about 1 s here, the largest phase
left (bench/README.md, ``metrics.py``, "Sixth step"). Two savings, each giving the figures the
previous reads gave, bit for bit:

- **thread records**: on PostgreSQL every time comes back as epoch seconds
  (``date_part('epoch', …)``: the exact count of microseconds divided by 10⁶ and correctly
  rounded, the very double ``datetime.timestamp()`` gives) instead of a ``datetime`` per value
  turned into a float in Python: 60,000 of each in a 10,000-member community;
- **posts per day and this window's posting contributors** come from the activity per member
  and day the run already holds (``pipeline.activity``, read again only where it changed in a
  warm worker): the same visible posts of the community counted on the same UTC days. Only the
  posts-per-week chart's days before the activity window, and the items and revisions of the
  contributors, are read from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Case, F, Min, When, Window
from django.db.models.functions import RowNumber

from metrics import collect
from metrics.collect import Activity
from metrics.compute.participation import ThreadRecord
from metrics.pipeline.times import midnight
from practice.models import Post, Thread

# PostgreSQL: the same reads in SQL of their own, every time as epoch seconds and read by the
# cursor (Django's per-value converters of annotated floats were 0.09 s a run). ``{only}`` is
# empty (the whole window) or limits both reads to the threads ``%(ids)s``.
_THREADS_SQL = """
    SELECT id, author_id, date_part('epoch', created_at), kind = %(question)s, title,
           date_part('epoch', accepted_at)
    FROM {thread}
    WHERE community_id = %(community)s AND NOT is_hidden
          AND created_at >= %(since)s AND created_at <= %(until)s {only}
"""
_RESPONSES_SQL = """
    SELECT thread_id, date_part('epoch', created_at), author_id, date_part('epoch', first_answer)
    FROM (
        SELECT p.thread_id, p.created_at, p.author_id,
               MIN(CASE WHEN p.is_answer THEN p.created_at END)
                   OVER (PARTITION BY p.thread_id) AS first_answer,
               ROW_NUMBER() OVER (PARTITION BY p.thread_id ORDER BY p.created_at, p.id) AS rank
        FROM {post} p JOIN {thread} t ON t.id = p.thread_id
        WHERE p.community_id = %(community)s AND NOT p.is_hidden AND NOT p.is_opening
              AND p.created_at >= %(since)s AND p.created_at <= %(until)s
              AND NOT t.is_hidden AND t.created_at >= %(since)s AND t.created_at <= %(until)s
              AND p.author_id <> t.author_id {only}
    ) AS ranked
    WHERE rank = 1
"""

# A thread as read: (id, author, created, is question, title, accepted or None), times in epoch
# seconds; its first response: (thread id, responded, responder, first answer or None).
ThreadRow = tuple
ResponseRow = tuple


def thread_rows(
    community_id: int, *, since: datetime, until: datetime, ids: list[int] | None = None
) -> tuple[dict[int, ThreadRow], dict[int, ResponseRow]]:
    """Return the visible threads started in ``[since, until]`` and their first responses, by
    thread id (only the threads *ids*, if given): what ``records_of`` makes the records of.

    Two passes: the threads, then the responses to them (visible posts by someone other than
    the thread's author, not the opening), ranked per thread in one window query that keeps the
    first and the earliest answer's time. A response is never older than its thread, so only
    posts since *since* are read. The acceptance is kept as it is (``records_of`` compares it
    with the as-of), so a kept row stays right as the as-of moves.
    """
    if ids is not None and not ids:
        return {}, {}
    if _reads_in_sql():
        params = {
            "community": community_id,
            "since": since,
            "until": until,
            "question": Thread.Kind.QUESTION.value,
            "ids": ids,
        }
        names = {"thread": Thread._meta.db_table, "post": Post._meta.db_table}
        with connection.cursor() as cursor:
            only = ("AND id = ANY(%(ids)s)", "AND p.thread_id = ANY(%(ids)s)") if ids else ("", "")
            cursor.execute(_THREADS_SQL.format(**names, only=only[0]), params)
            threads = {row[0]: row for row in cursor.fetchall()}
            cursor.execute(_RESPONSES_SQL.format(**names, only=only[1]), params)
            first = {row[0]: row for row in cursor.fetchall()}
        return threads, first
    return _rows_orm(community_id, since=since, until=until, ids=ids)


def records_of(
    threads: dict[int, ThreadRow],
    first: dict[int, ResponseRow],
    *,
    until: float,
    moderator_ids: set[int],
    reuse: dict[int, ThreadRecord] | None = None,
) -> list[ThreadRecord]:
    """Return the records of *threads* in id order: their first response (the responder's role
    is their current one) and their solution if accepted by *until* (epoch seconds). A record
    in *reuse* is taken as it is (the caller vouches that it is the one these rows give)."""
    make, no_response = ThreadRecord._make, (None, None, None, None)
    reuse = reuse or {}
    records = []
    append = records.append
    for pk in sorted(threads):
        record = reuse.get(pk)
        if record is None:
            _, author_id, created, is_question, title, accepted = threads[pk]
            response = first.get(pk, no_response)
            record = make(
                (
                    pk,
                    author_id,
                    created,
                    is_question,
                    title,
                    response[1],
                    None if response[2] is None else response[2] in moderator_ids,
                    response[3],
                    accepted if accepted is not None and accepted <= until else None,
                )
            )
        append(record)
    return records


def thread_records(
    community_id: int, *, since: datetime, until: datetime, moderator_ids: set[int]
) -> list[ThreadRecord]:
    """Return the visible threads started in ``[since, until]`` with their first response,
    first answer and solution (the responder's role is their current one), in id order."""
    threads, first = thread_rows(community_id, since=since, until=until)
    return records_of(threads, first, until=until.timestamp(), moderator_ids=moderator_ids)


def _reads_in_sql() -> bool:
    return connection.vendor == "postgresql"


def _rows_orm(community_id: int, *, since: datetime, until: datetime, ids: list[int] | None):
    """Return ``thread_rows`` through the ORM, times as epoch seconds (SQLite)."""
    only_threads = {} if ids is None else {"pk__in": ids}
    only_posts = {} if ids is None else {"thread_id__in": ids}
    threads = {
        pk: (pk, author_id, created.timestamp(), kind == Thread.Kind.QUESTION, title, _seconds(acc))
        for pk, author_id, created, kind, title, acc in Thread.objects.filter(
            community_id=community_id,
            is_hidden=False,
            created_at__gte=since,
            created_at__lte=until,
            **only_threads,
        ).values_list("pk", "author_id", "created_at", "kind", "title", "accepted_at")
    }
    responses = (
        Post.objects.filter(
            community_id=community_id,
            is_hidden=False,
            is_opening=False,
            created_at__gte=since,
            created_at__lte=until,
            thread__is_hidden=False,
            thread__created_at__gte=since,
            thread__created_at__lte=until,
            **only_posts,
        )
        .exclude(author_id=F("thread__author_id"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("thread_id")],
                order_by=[F("created_at").asc(), F("pk").asc()],
            ),
            first_answer_at=Window(
                Min(Case(When(is_answer=True, then=F("created_at")))),
                partition_by=[F("thread_id")],
            ),
        )
        .filter(rank=1)
        .values_list("thread_id", "created_at", "author_id", "first_answer_at")
    )
    first = {
        thread_id: (thread_id, response.timestamp(), responder, _seconds(answer))
        for thread_id, response, responder, answer in responses
    }
    return threads, first


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def posts_per_day(
    activity: Activity, community_id: int, *, since: datetime, until: datetime
) -> list[tuple[float, int]]:
    """Return ``(midnight, posts)`` for each UTC day in ``[since, until]`` with visible posts
    (``collect.posts_per_day``'s figures): the days *activity* covers summed from it, the days
    before it read. *since* is a midnight (UTC) and *activity* ends at *until*; otherwise the
    whole range is read."""
    if not (_utc_midnight(since) and _utc_midnight(activity.since) and activity.until == until):
        return collect.posts_per_day(community_id, since=since, until=until)
    counts: dict[float, int] = {}
    if since < activity.since:
        before = activity.since - timedelta(microseconds=1)  # the days the activity does not hold
        counts.update(collect.posts_per_day(community_id, since=since, until=before))
    since_s = since.timestamp()
    for per_day in activity.by_member_day.values():
        for day, entry in per_day.items():
            if entry.posts and day >= since_s:
                counts[day] = counts.get(day, 0) + entry.posts
    return list(counts.items())


def _utc_midnight(moment: datetime) -> bool:
    return moment == midnight(moment.astimezone(UTC))


def contributors_from(
    posted: Iterable[int], community_id: int, *, since: datetime, until: datetime
) -> set[int]:
    """Return ``collect.contributors_between``'s contributors of ``[since, until)`` given who
    posted then (*posted*: from the activity the run holds): they, and who proposed or edited
    an item."""
    return set(posted) | collect.item_contributors_between(community_id, since=since, until=until)


# PostgreSQL: the cohort window's authors first, each probed once in ``(author, created_at)`` for
# an earlier post by a scalar subquery (a NOT EXISTS became a hash anti-join over every earlier
# post of the community, 470,000 in the bench), then the first two posts of the few left.
_NEWCOMER_POSTS_SQL = """
    SELECT author_id, date_part('epoch', created_at), rank FROM (
        SELECT p.author_id, p.created_at,
               ROW_NUMBER() OVER (PARTITION BY p.author_id ORDER BY p.created_at, p.id) AS rank
        FROM (
            SELECT authors.author_id FROM (
                SELECT DISTINCT author_id FROM {post}
                WHERE community_id = %(community)s AND NOT is_hidden
                      AND created_at >= %(since)s AND created_at <= %(until)s
            ) AS authors
            WHERE (SELECT 1 FROM {post} e
                   WHERE e.author_id = authors.author_id AND e.community_id = %(community)s
                         AND NOT e.is_hidden AND e.created_at < %(since)s
                   LIMIT 1) IS NULL
        ) AS newcomers
        JOIN {post} p ON p.author_id = newcomers.author_id
        WHERE p.community_id = %(community)s AND NOT p.is_hidden
              AND p.created_at >= %(since)s AND p.created_at <= %(until)s
    ) AS ranked
    WHERE rank <= 2
"""


def first_and_second_posts(
    community_id: int, *, until: datetime, since: datetime
) -> list[tuple[float, float | None]]:
    """Return ``collect.first_and_second_posts(…, since=since)``: (first post, second post or
    None) of every member whose first visible post in the community is in ``[since, until]``."""
    if not _reads_in_sql():
        return collect.first_and_second_posts(community_id, until=until, since=since)
    with connection.cursor() as cursor:
        cursor.execute(
            _NEWCOMER_POSTS_SQL.format(post=Post._meta.db_table),
            {"community": community_id, "since": since, "until": until},
        )
        rows = cursor.fetchall()
    by_author: dict[int, list] = {}
    for author_id, created, rank in rows:
        by_author.setdefault(author_id, [None, None])[rank - 1] = created
    return [(first, second) for first, second in by_author.values()]
