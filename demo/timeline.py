"""The demo's history as a timeline: planned steps, each run at its own moment through the
services, and what a build did; the steps written in chunks, each committed with a resume
marker, so that other writers get the database between chunks."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from demo.models import SeedResume

# A chunk of steps is committed after this many seconds of wall time (and its step): a write
# made meanwhile waits about that long, whatever the load. Measured with
# bench/demo_seed_writes.py at load 1.4-1.7: 0.5 s gave waits up to 0.65-0.75 s but 62-65 s
# of seed against 57 s for 1.0 s (waits up to 1.05 s), the pauses below adding up.
CHUNK_SECONDS = 1.0
# After each commit on SQLite the seed pauses this long before taking the write lock again: a
# waiting writer's busy handler retries every 100 ms at most, so it finds the lock free. Without
# the pause the seed would take it back at once and a waiting sign-in could starve.
WRITERS_GAP_SECONDS = 0.11


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    run: Callable[[datetime], None] = field(compare=False)  # called with *at*


@dataclass
class BuildSummary:
    communities: int = 0
    skipped_communities: int = 0
    counts: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def apply_steps(steps: list[Step], summary: BuildSummary, slug: str) -> None:
    """Run *steps* in order, counting each kind; a step that no longer fits is noted, not fatal."""
    for step in steps:
        try:
            step.run(step.at)
        except (ValidationError, PermissionDenied, KeyError) as error:
            # A plan that no longer fits the data (someone left, an item was not made).
            summary.failures.append(f"{slug} {step.kind} at {step.at:%Y-%m-%d}: {error!r}")
            continue
        summary.counts[step.kind] += 1


def writers_let_in() -> None:
    """After a commit on SQLite, pause so that a waiting writer takes the lock (see above)."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        time.sleep(WRITERS_GAP_SECONDS)


def resume_marker(name: str, *, now: datetime) -> SeedResume:
    """Return the marker an interrupted seed left under *name* (saved: its moment and how far it
    got), or a new, unsaved one laying the demo out from *now* (saved by its first chunk)."""
    return SeedResume.objects.filter(name=name).first() or SeedResume(name=name, now=now)


def apply_steps_in_chunks(
    steps: list[Step],
    summary: BuildSummary,
    slug: str,
    *,
    marker: SeedResume,
    made: Callable[[], dict],
) -> None:
    """Run *steps* from ``marker.steps_done`` on, in chunks of about ``CHUNK_SECONDS``, each
    committed together with *marker* (steps done, and ``made()``: the rows made so far)."""
    position = marker.steps_done
    while position < len(steps):
        with transaction.atomic():
            first, deadline = position, time.monotonic() + CHUNK_SECONDS
            while position < len(steps) and (position == first or time.monotonic() < deadline):
                apply_steps(steps[position : position + 1], summary, slug)
                position += 1
            marker.steps_done = position
            marker.made = {**marker.made, **made()}
            marker.save()
        writers_let_in()
