"""A read on a second database connection, in a thread, while the run does another read.

Two large reads (a full run's log and its stored tie table) are mostly PostgreSQL's work, one
backend each: side by side they take about the longer of the two instead of their sum. Only
outside a transaction: a read inside one must see that transaction's rows, which a second
connection cannot.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def reads_alongside_possible() -> bool:
    """Whether a second connection sees what this one does: PostgreSQL, and no transaction open
    here (tests run inside one; a run computes outside any)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def read_alongside(read: Callable[[], T]) -> Future[T]:
    """Start *read* on a thread of its own, with its own connection (closed when it is done),
    and return its future."""

    def task() -> T:
        try:
            return read()
        finally:
            connection.close()  # this thread's connection, not the caller's

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-read")
    try:
        return executor.submit(task)
    finally:
        executor.shutdown(wait=False)
