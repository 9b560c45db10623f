"""The demo's history as a timeline: planned steps, each run at its own moment through the
services, and what a build did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError


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
