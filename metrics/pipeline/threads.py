"""Thread records kept between current runs, read again only for the threads that changed.

A current run needs the record of every visible thread started in the longest window (its first
response, first answer and solution): about 30,000 threads of 90 days in a 10,000-member
community, 0.3-0.4 s of SQL each run though an hour changes a few. A worker keeps the rows its
last current run of the community read (``pipeline.cache``, with the tie table and under its
token, so only while that run's result is the stored one); the next run reads again only

- the threads started, and the threads posted in, since the kept run's as-of (rows dated
  after it were not read then);
- the threads marked in ``ThreadMark`` since: database triggers mark a thread when one of its
  posts is added, removed or changed (hidden, moved, its opening or answer flag, author or
  date) and when the thread itself is (accepted answer, kind, title, hidden, moved, author,
  date) (``migrations/0009``);
- the kept threads whose first response or answer is older than the window's new start (only a
  post dated before its own thread can be);

and drops the threads that left the window. Each is read whole, by the same SQL as a full read
limited to those threads; the responder's role and the solution's "accepted by the as-of" are
applied afresh each run (``participation.records_of``), so the records are the full read's, bit
for bit. A run deletes exactly the marks it read, in its store transaction: a change committed
while it computes leaves its own mark for the next run. A worker without kept rows (fresh, or
another worker wrote since), a full run and a past run read the whole window; the daily full run
also computes what the kept rows would have given and logs any difference (``ThreadDrift``), so
a writer that bypasses the triggers shows instead of drifting silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from metrics.compute.participation import ThreadRecord
from metrics.models import ThreadMark
from metrics.pipeline.cache import KeptThreads, cached_threads
from metrics.pipeline.participation import records_of, thread_rows
from metrics.pipeline.plan import Plan
from practice.models import Post, Thread

logger = logging.getLogger(__name__)

# Beyond this many threads to read again, the whole window is read instead (the same result). On
# the bench database (30,314 threads, load 3.6-4): the whole read 0.34-0.68 s; the kept path with
# 0 / 460 / 1,000 / 5,000 threads read again 0.03 / 0.06 / 0.06 / 0.29 s.
MAX_THREADS_READ = 5000


@dataclass
class RunThreads:
    records: list[ThreadRecord]
    kept: KeptThreads  # the rows behind the records (a current run keeps them for the next)
    marks_seen: list[int]  # ids of the thread marks this run took into account
    threads_read: int | None  # threads read again by id; None: the whole window


def run_threads(plan: Plan, *, since: datetime, moderator_ids: set[int]) -> RunThreads:
    """Return the records of the threads started in ``[since, plan.as_of]``, read again only
    where they changed since the kept run (current runs in a worker that kept them), else read
    whole."""
    cid, until = plan.community_id, plan.as_of
    if not plan.current:
        return _result(_whole(cid, since, until), [], None, moderator_ids)
    # The marks first: a change committed after this read is in the rows read below or keeps
    # its mark for the next run, never both lost.
    marks = thread_marks(cid)
    seen = [pk for pk, _ in marks]
    kept = cached_threads(cid, token=plan.ties_token_seen, ref=plan.ref)
    usable = kept is not None and kept.since <= since and kept.as_of <= until
    if plan.full or not usable:
        whole = _result(_whole(cid, since, until), seen, None, moderator_ids)
        if plan.full and usable:
            _check_drift(plan, kept, marks, since, whole.kept.records, moderator_ids)
        return whole
    ids = _threads_to_read(cid, kept, marks, since, until)
    if len(ids) > MAX_THREADS_READ:
        return _result(_whole(cid, since, until), seen, None, moderator_ids)
    updated = _updated(cid, kept, ids, since, until)
    reuse = _records_still_right(kept, updated, ids, moderator_ids)
    return _result(updated, seen, len(ids), moderator_ids, reuse)


def thread_marks(community_id: int) -> list[tuple[int, int]]:
    """Return the community's thread marks ``(id, thread id)``."""
    return list(
        ThreadMark.objects.filter(community_id=community_id)
        .order_by("pk")
        .values_list("pk", "thread_id")
    )


def _whole(community_id: int, since: datetime, until: datetime) -> KeptThreads:
    threads, first = thread_rows(community_id, since=since, until=until)
    return KeptThreads(threads, first, since, until)


def _result(
    rows: KeptThreads, seen: list[int], read: int | None, moderator_ids, reuse=None
) -> RunThreads:
    records = records_of(
        rows.threads,
        rows.first,
        until=rows.as_of.timestamp(),
        moderator_ids=moderator_ids,
        reuse=reuse,
    )
    rows.records = {record.thread_id: record for record in records}
    rows.moderator_ids = frozenset(moderator_ids)
    return RunThreads(records, rows, seen, read)


def _records_still_right(
    kept: KeptThreads, updated: KeptThreads, ids: set[int], moderator_ids: set[int]
) -> dict[int, ThreadRecord]:
    """Return the kept records this run may take as they are (making 30,000 records was most of
    the kept path's CPU): all but the threads read again, those accepted between the kept run's
    as-of and this one's (their solution now counts), and those whose first responder became or
    stopped being a moderator."""
    changed = set(ids)
    kept_s, until_s = kept.as_of.timestamp(), updated.as_of.timestamp()
    changed.update(
        pk
        for pk, row in updated.threads.items()
        if row[5] is not None and kept_s < row[5] <= until_s
    )
    flipped = kept.moderator_ids ^ moderator_ids
    if flipped:
        changed.update(pk for pk, row in updated.first.items() if row[2] in flipped)
    reuse = dict(kept.records)
    for pk in changed:
        reuse.pop(pk, None)
    return reuse


def _threads_to_read(
    community_id: int, kept: KeptThreads, marks, since: datetime, until: datetime
) -> set[int]:
    """Return the ids of the threads to read again: marked, started or posted in after the kept
    run's as-of, or holding a kept response older than *since*."""
    ids = {thread_id for _, thread_id in marks}
    started = Thread.objects.filter(
        community_id=community_id,
        is_hidden=False,
        created_at__gt=kept.as_of,
        created_at__lte=until,
    ).values_list("pk", flat=True)
    posted = Post.objects.filter(
        community_id=community_id, created_at__gt=kept.as_of, created_at__lte=until
    ).values_list("thread_id", flat=True)
    ids.update(started.union(posted))
    since_s = since.timestamp()
    ids.update(
        pk
        for pk, responded, _, answered in kept.first.values()
        if responded < since_s or (answered is not None and answered < since_s)
    )
    return ids


def _updated(
    community_id: int, kept: KeptThreads, ids: set[int], since: datetime, until: datetime
) -> KeptThreads:
    """Return the kept rows brought up to ``[since, until]``: *ids* read again, the threads
    started before *since* dropped."""
    fresh_threads, fresh_first = thread_rows(
        community_id, since=since, until=until, ids=sorted(ids)
    )
    since_s = since.timestamp()
    threads = {pk: row for pk, row in kept.threads.items() if row[2] >= since_s and pk not in ids}
    threads.update(fresh_threads)
    first = {pk: row for pk, row in kept.first.items() if pk in threads and pk not in ids}
    first.update(fresh_first)
    return KeptThreads(threads, first, since, until)


def _check_drift(
    plan: Plan,
    kept: KeptThreads,
    marks,
    since: datetime,
    full_by: dict[int, ThreadRecord],
    moderator_ids,
) -> None:
    """Log where the kept rows, brought up to this full run, differ from its full read
    (*full_by*: its records by thread id)."""
    ids = _threads_to_read(plan.community_id, kept, marks, since, plan.as_of)
    updated = _updated(plan.community_id, kept, ids, since, plan.as_of)
    kept_by = _result(updated, [], None, moderator_ids).kept.records
    if kept_by == full_by:
        return
    differing = sorted(
        t for t in kept_by.keys() | full_by.keys() if kept_by.get(t) != full_by.get(t)
    )
    logger.error(
        "ThreadDrift: the kept thread records of community %s differ from a full read for %d "
        "threads (first: %s); a writer bypassed the thread triggers",
        plan.community_id,
        len(differing),
        differing[:5],
    )
