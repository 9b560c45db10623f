"""Statistics over plain numbers: Gini, top shares, contributor absence factor, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .config import MetricsConfig


def gini(values: Sequence[float]) -> float | None:
    """Return the Gini coefficient ``2Σ i·x(i) / (nΣx) − (n+1)/n`` (x ascending, i from 1)."""
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total <= 0:
        return None
    weighted = sum(i * x for i, x in enumerate(xs, start=1))
    return 2.0 * weighted / (n * total) - (n + 1) / n


def top_share(values: Sequence[float], fraction: float) -> float | None:
    """Return the share of the total held by the top ``ceil(fraction·n)`` (at least one) values."""
    total = sum(values)
    if not values or total <= 0:
        return None
    k = max(1, math.ceil(fraction * len(values) - 1e-9))
    return sum(sorted(values, reverse=True)[:k]) / total


def contributor_absence_factor(values: Sequence[float], share: float = 0.5) -> int | None:
    """Return the fewest contributors whose contributions make at least *share* of the total."""
    total = sum(values)
    if total <= 0:
        return None
    running = 0.0
    for count, value in enumerate(sorted(values, reverse=True), start=1):
        running += value
        if running >= share * total - 1e-9:
            return count
    return len(values)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the *q*-th percentile (0–100) with linear interpolation (numpy's default)."""
    xs = sorted(values)
    if not xs:
        return None
    position = (len(xs) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (xs[high] - xs[low]) * (position - low)


def summary_hours(seconds: Sequence[float]) -> dict:
    """Return ``{"median", "p90", "count"}`` in hours of durations given in seconds."""
    median = percentile(seconds, 50)
    p90 = percentile(seconds, 90)
    return {
        "median": None if median is None else median / 3600.0,
        "p90": None if p90 is None else p90 / 3600.0,
        "count": len(seconds),
    }


def concentration(
    contributions: Sequence[int], *, members_total: int, config: MetricsConfig
) -> dict:
    """Return Gini, top shares and contributor absence factor of contributions per member.

    *contributions* holds one count per contributing member. The Gini adds zeros for the other
    members up to *members_total* only when ``gini_include_zero`` is set; the top shares are always
    the top 10 % / 1 % of all *members_total* members (zeros do not change the top sums).
    """
    values = [float(x) for x in contributions if x > 0]
    everyone = values + [0.0] * max(0, members_total - len(values))
    return {
        "gini_posts": gini(everyone if config.gini_include_zero else values),
        "gini_includes_zero": config.gini_include_zero,
        "top10_share": top_share(everyone, config.top_share_large),
        "top1_share": top_share(everyone, config.top_share_small),
        "contributor_absence_factor": contributor_absence_factor(values),
    }
