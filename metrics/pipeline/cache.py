"""The tie tables a worker process wrote last, kept between runs so an incremental run reads only
the new interactions instead of the whole table; and, with each, the activity per member and day
that run computed (``pipeline.activity`` reads again only the days that changed) and its thread
records (``pipeline.threads`` reads again only the threads that changed).

An entry is used only while its token is the one in ``MetricsState.ties_token``, which every run
that writes the table changes in the same transaction: a table written by another worker, or a
run rolled back, makes the entry useless, never wrong. A pair's state is an exact function of
its log rows, so a table from here and one read from the database hold the same bits.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from metrics.collect import Activity, StoredTies

# At most this many pairs over all entries (about 130 bytes each: 2.6 GB would be 20 million).
# A 10,000-member community of 1,000,000 interactions has about 300,000 pairs; a 200-member one
# a few thousand, so one worker keeps the tables of every community of a large installation.
# The kept activity is smaller (80,000 member-days of a 10,000-member community, ~15 MB), and
# so are its thread records (30,000 threads of 90 days: ~10 MB).
MAX_PAIRS = 3_000_000


@dataclass
class KeptActivity:
    """A current run's activity per member and day (never changed once kept: the next run
    builds its own) and that run's as-of."""

    activity: Activity
    as_of: datetime


@dataclass
class KeptThreads:
    """A current run's thread rows and first responses by thread id
    (``participation.thread_rows``; never changed once kept), that run's window, and the
    records it made of them by thread id with the moderators it made them with."""

    threads: dict
    first: dict
    since: datetime
    as_of: datetime
    records: dict = field(default_factory=dict)
    moderator_ids: frozenset = frozenset()


_entries: "OrderedDict[int, tuple[str, StoredTies, KeptActivity | None, KeptThreads | None]]" = (
    OrderedDict()
)


def _entry(community_id: int, token: str, ref: float):
    entry = _entries.get(community_id)
    if entry is None or not token or entry[0] != token or entry[1].table.ref != ref:
        return None
    _entries.move_to_end(community_id)
    return entry


def cached_ties(community_id: int, *, token: str, ref: float) -> StoredTies | None:
    """Return the kept table of the community if it is still the stored one, else None."""
    entry = _entry(community_id, token, ref)
    return entry[1] if entry else None


def cached_activity(community_id: int, *, token: str, ref: float) -> KeptActivity | None:
    """Return the activity kept with the community's table if that is still the stored one."""
    entry = _entry(community_id, token, ref)
    return entry[2] if entry else None


def cached_threads(community_id: int, *, token: str, ref: float) -> KeptThreads | None:
    """Return the thread records kept with the community's table if that is still the stored
    one."""
    entry = _entry(community_id, token, ref)
    return entry[3] if entry else None


def keep_ties(
    community_id: int,
    *,
    token: str,
    ties: StoredTies,
    activity: KeptActivity | None = None,
    threads: KeptThreads | None = None,
) -> None:
    """Keep *ties* (and the run's *activity* and *threads*) as the community's under *token*;
    forget the least recently used entries beyond ``MAX_PAIRS``."""
    _entries[community_id] = (token, ties, activity, threads)
    _entries.move_to_end(community_id)
    total = sum(len(entry[1].table) for entry in _entries.values())
    while total > MAX_PAIRS and len(_entries) > 1:
        _, (_, dropped, *_) = _entries.popitem(last=False)
        total -= len(dropped.table)


def forget_ties() -> None:
    """Drop every kept table, activity and thread records (tests; a process that wants its
    memory back)."""
    _entries.clear()
