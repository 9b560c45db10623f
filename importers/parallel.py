"""Pure-CPU work of an import (parsing, converting, rendering) in worker processes, ahead of
and alongside the writing.

Both importers read their source into a staging file first, then write batch by batch: the
work that needs no database (a message's MIME, a post's HTML to Markdown, the shown text
rendered) can go to a pool of forked workers, a chunk a task, while this process and its
database backend write earlier batches. A chunk's result is taken in order when the writing
needs it. Without a pool (a small source, or inside a daemon process such as Celery's prefork
worker, which may not fork) each chunk is worked on in this process when first needed, so the
result is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.pool import Pool


def workers_for(size: int, *, from_size: int, most: int) -> int:
    """How many workers for a source of *size* (bytes, rows...): one (no pool) below
    *from_size* or inside a daemon process, else one per core up to *most*."""
    if size < from_size or multiprocessing.current_process().daemon:
        return 1
    return max(1, min(most, os.cpu_count() or 1))


def pool_open(workers: int, *, nice: int) -> Pool | None:
    """A pool of *workers* forked processes running *nice* steps nicer than this one (the
    writing is the critical path; the workers take the CPU left), or None for one worker."""
    if workers <= 1:
        return None
    return multiprocessing.get_context("fork").Pool(workers, initializer=os.nice, initargs=(nice,))


class _Here:
    """A chunk this process works on itself, when its result is first asked for."""

    def __init__(self, work: Callable, args: tuple):
        self.work, self.args = work, args
        self.done, self.value = False, None

    def get(self):
        if not self.done:
            self.value, self.done = self.work(*self.args), True
            self.work = self.args = None
        return self.value


def pool_submit(pool: Pool | None, work: Callable, *args):
    """Start *work(\\*args)* in *pool* (here, lazily, without one); ``.get()`` waits for its
    result (and raises its exception)."""
    if pool is None:
        return _Here(work, args)
    return pool.apply_async(work, args)


def pool_close(pool: Pool | None) -> None:
    """Stop the workers, whatever they are doing (an import that stops needs none of it)."""
    if pool is not None:
        pool.terminate()
        pool.join()
