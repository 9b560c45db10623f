"""Every pair's tie state as columns, folded incrementally and scored in one vectorised pass.

The state of a pair (a < b) is what ``metrics.compute.ties.PairState`` holds, with one difference
that makes ageing free: the directed sums are scaled to a **reference time R common to the whole
table**, not to each pair's last contact,

    units(a→b) = Σ round(w · 2^((t − R)/h) · 2^QUANTUM_BITS)      (an exact integer sum)
    I(a→b, T)  = units · 2^−QUANTUM_BITS · 2^(−(T − R)/h)

With exponential decay, ageing is the common factor ``2^(−(T − R)/h)``: nothing stored changes
as time passes, and a new interaction adds its own term to its pair without reading the pair's
older rows. Terms are rounded to whole units and added as integers, so a sum does not depend on
the order its rows are read in or on how they are split between runs: folding new rows into a
table gives the bits that aggregating the whole log gives.

R is ``reference_time(as_of)``: the start of the era of ``ERA_HALF_LIVES`` half-lives containing
*as_of*, the same for every run in the era; a table whose R is not the current one is rebuilt
(at most once per era, 360 days by default). Within an era, terms stay below 2^(ERA_HALF_LIVES)
times their weight, far from the 64-bit limit.

Scores (``score_table``) are the definitions of ``metrics.compute.ties.score_all`` computed on
whole columns with numpy. They agree with it to the quantum, not bit for bit: a term is rounded to
whole units here at R and there at the pair's last contact, so an intensity as of *as_of* differs
by at most one unit (2^-QUANTUM_BITS, about 1e-12) per row, and a score by about a third of that
(tested). For old, light rows that is about 1e-9 of the intensity. No Django imports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .config import MetricsConfig
from .ties import (
    CHANNEL_OF_KIND,
    CHANNELS,
    DAY,
    LN2,
    MIN_EXPONENT,
    QUANTUM,
    QUANTUM_BITS,
    SYMMETRIC_KINDS,
    TieScore,
    month_number,
)

ERA_HALF_LIVES = 4
# A row dated after the end of its table's era (a misdated message or post, decades ahead) counts
# as if dated at the era's end: its term 2^(t − R)/h would otherwise overflow the 64-bit sums.
# No row of a run's own era is affected (the era holds its as_of).
MAX_EXPONENT = ERA_HALF_LIVES * LN2
# Months with contact are bits of one 64-bit integer: bit k is month ``month_base(R) + k``. The
# base lies MONTHS_BEFORE_REF months before R's month, so every window the score looks at (the
# repeat-pair window, at most that many months back from any as_of in the era) is covered, and
# MONTH_BITS - MONTHS_BEFORE_REF months after it (beyond the end of the era).
MONTHS_BEFORE_REF = 24
MONTH_BITS = 62
CHANNEL_INDEX = {channel: i for i, channel in enumerate(CHANNELS)}
CLASS_NAMES = ("latent", "weak", "strong")  # class codes 0, 1, 2
CLASS_CODES = {name: code for code, name in enumerate(CLASS_NAMES)}
# Pair keys as one int64 (a·2^32 + b) to sort and search: user ids must stay below 2^31.
KEY_SHIFT = np.int64(32)


def reference_time(as_of: float, config: MetricsConfig) -> float:
    """Return the reference time R of a table as of epoch *as_of*: the start of its era."""
    era = ERA_HALF_LIVES * config.half_life_days * DAY
    return math.floor(as_of / era) * era


def month_base(ref: float) -> int:
    """Return the month of bit 0 of a table referred to *ref*."""
    return month_number(ref) - MONTHS_BEFORE_REF


def unit_rate(config: MetricsConfig) -> float:
    """Return the decay rate per second (ln 2 / h)."""
    return LN2 / (config.half_life_days * DAY)


@dataclass
class PairTable:
    """Every pair's state as columns, one row per pair, rows sorted by (a, b).

    ``channels[:, c]`` is the last use of channel ``CHANNELS[c]`` (NaN: never); ``months`` the
    month bits (see ``MONTH_BITS``).
    """

    ref: float
    a: np.ndarray  # int64
    b: np.ndarray  # int64
    units_ab: np.ndarray  # int64
    units_ba: np.ndarray  # int64
    first: np.ndarray  # float64, epoch seconds
    last: np.ndarray  # float64
    channels: np.ndarray  # float64, (n, len(CHANNELS))
    months: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.a)

    @classmethod
    def empty(cls, ref: float) -> PairTable:
        return cls(
            ref,
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
            np.zeros((0, len(CHANNELS))),
            np.zeros(0, np.int64),
        )

    def keys(self) -> np.ndarray:
        return (self.a << KEY_SHIFT) | self.b

    def take(self, index) -> PairTable:
        return PairTable(
            self.ref,
            self.a[index],
            self.b[index],
            self.units_ab[index],
            self.units_ba[index],
            self.first[index],
            self.last[index],
            self.channels[index],
            self.months[index],
        )

    def equals(self, other: PairTable) -> bool:
        """Return whether both tables hold the same pairs with the same bits."""
        return (
            self.ref == other.ref
            and len(self) == len(other)
            and all(
                np.array_equal(getattr(self, name), getattr(other, name), equal_nan=eq_nan)
                for name, eq_nan in (
                    ("a", False),
                    ("b", False),
                    ("units_ab", False),
                    ("units_ba", False),
                    ("first", False),
                    ("last", False),
                    ("channels", True),
                    ("months", False),
                )
            )
        )


def sort_table(table: PairTable) -> PairTable:
    """Return *table* with its rows in (a, b) order."""
    order = np.argsort(table.keys(), kind="stable")
    return table.take(order)


def merge(table: PairTable, delta: PairTable) -> tuple[PairTable, np.ndarray]:
    """Fold *delta* (the states of new log rows alone, same reference) into *table*; return the
    new table and the positions in it of the pairs *delta* touched.

    Sums add, first and last contact take the min and max, channel last uses the max, months
    OR: all exact and order-free, so the result has the bits of aggregating all rows at once.
    """
    if table.ref != delta.ref:
        raise ValueError("tables with different reference times cannot be merged")
    if not len(delta):
        return table, np.zeros(0, np.int64)
    keys, new_keys = table.keys(), delta.keys()
    at = np.searchsorted(keys, new_keys)
    found = at < len(keys)
    found[found] = keys[at[found]] == new_keys[found]
    old = at[found]
    merged = table.take(np.arange(len(table)))  # a copy: the caller's table stays as it was
    merged.units_ab[old] += delta.units_ab[found]
    merged.units_ba[old] += delta.units_ba[found]
    merged.first[old] = np.minimum(merged.first[old], delta.first[found])
    merged.last[old] = np.maximum(merged.last[old], delta.last[found])
    merged.channels[old] = np.fmax(merged.channels[old], delta.channels[found])
    merged.months[old] |= delta.months[found]
    if (~found).any():
        fresh = delta.take(~found)
        merged = sort_table(
            PairTable(
                table.ref,
                *(
                    np.concatenate([getattr(merged, name), getattr(fresh, name)])
                    for name in (
                        "a",
                        "b",
                        "units_ab",
                        "units_ba",
                        "first",
                        "last",
                        "channels",
                        "months",
                    )
                ),
            )
        )
    touched = np.searchsorted(merged.keys(), new_keys)
    return merged, touched


def row_units(kind_weight: float, t: float, ref: float, rate: float) -> int:
    """Return one log row's term in whole units: ``round(w · 2^((t − R)/h) · 2^QUANTUM_BITS)``.

    ``math.exp`` is the C library's, as the databases' ``exp`` is, so this is the same integer
    the SQL aggregation computes (``metrics.collect``)."""
    exponent = max(min((t - ref) * rate, MAX_EXPONENT), MIN_EXPONENT)
    return round(kind_weight * math.exp(exponent) * QUANTUM)


def table_from_rows(
    rows: Iterable[tuple[int, int, str, float, int]], *, ref: float, config: MetricsConfig
) -> PairTable:
    """Return the table of log rows ``(actor, target, kind, t, group_size)`` referred to *ref*:
    the reference implementation of the SQL aggregation, row by row."""
    rate = unit_rate(config)
    base = month_base(ref)
    sums: dict[tuple[int, int], list] = {}
    for actor, target, kind, t, group_size in rows:
        if actor == target:
            continue
        key = (actor, target) if actor < target else (target, actor)
        weight = config.weight(kind)
        if kind in SYMMETRIC_KINDS:
            weight = weight / (2 * max(group_size - 1, 1))
        entry = sums.get(key)
        if entry is None:
            # [units a→b, units b→a, first, last, channel last uses, month bits]
            entry = sums[key] = [0, 0, t, t, [math.nan] * len(CHANNELS), 0]
        entry[0 if actor < target else 1] += row_units(weight, t, ref, rate)
        entry[2] = min(entry[2], t)
        entry[3] = max(entry[3], t)
        c = CHANNEL_INDEX[CHANNEL_OF_KIND[kind]]
        if not entry[4][c] >= t:  # NaN (never used) or earlier
            entry[4][c] = t
        bit = month_number(t) - base
        if 0 <= bit < MONTH_BITS:
            entry[5] |= 1 << bit
    return table_from_columns(
        ref,
        [(*key, *entry[:4], *entry[4], entry[5]) for key, entry in sorted(sums.items())],
    )


def table_from_columns(ref: float, rows: list[tuple]) -> PairTable:
    """Return a table from rows ``(a, b, units_ab, units_ba, first, last, *channels, months)``
    already in (a, b) order (channel None or NaN: never used)."""
    n = len(rows)
    if not n:
        return PairTable.empty(ref)
    k = len(CHANNELS)
    columns = list(zip(*rows, strict=True))
    return PairTable(
        ref,
        np.array(columns[0], np.int64),
        np.array(columns[1], np.int64),
        np.array(columns[2], np.int64),
        np.array(columns[3], np.int64),
        np.array(columns[4], np.float64),
        np.array(columns[5], np.float64),
        np.array(
            [[math.nan if v is None else v for v in col] for col in columns[6 : 6 + k]],
            np.float64,
        ).T.copy(),
        np.array(columns[6 + k], np.int64),
    )


@dataclass
class TableScores:
    """Every pair's tie as of one moment, as columns aligned with its table."""

    score: np.ndarray
    tie_class: np.ndarray  # int8 codes, CLASS_NAMES
    intensity: np.ndarray
    reciprocity: np.ndarray
    multiplexity: np.ndarray
    duration: np.ndarray
    i_ab: np.ndarray
    i_ba: np.ndarray
    repeat: np.ndarray  # bool
    recent: np.ndarray  # bool


def score_table(table: PairTable, *, as_of: float, config: MetricsConfig) -> TableScores:
    """Return the tie of every pair as of epoch *as_of*: ``ties.score_all``'s definitions on
    whole columns (docs/METRICS.md, "Tie strength")."""
    scale = math.ldexp(math.exp((table.ref - as_of) * unit_rate(config)), -QUANTUM_BITS)
    i_ab = table.units_ab.astype(np.float64) * scale
    i_ba = table.units_ba.astype(np.float64) * scale
    total = i_ab + i_ba
    low = np.minimum(i_ab, i_ba)
    kappa = config.kappa
    intensity = -np.expm1(-total / kappa)
    reciprocated = -np.expm1(-2.0 * low / kappa)
    cutoff = as_of - config.multiplexity_window_days * DAY
    with np.errstate(invalid="ignore"):
        channels = (table.channels >= cutoff).sum(axis=1)
    duration = np.minimum((table.last - table.first) / (config.duration_full_days * DAY), 1.0)
    m_coef = config.score_multiplexity / len(CHANNELS)
    score = (
        intensity * (config.score_base + m_coef * channels + config.score_duration * duration)
        + config.score_reciprocity * reciprocated
    )
    tie_class = np.where(
        score >= config.strong_threshold, 2, np.where(score >= config.weak_threshold, 1, 0)
    ).astype(np.int8)
    month_now = month_number(as_of) - month_base(table.ref)
    window = np.int64(0)
    for k in range(month_now - config.repeat_pair_months + 1, month_now + 1):
        if 0 <= k < MONTH_BITS:
            window |= np.int64(1) << np.int64(k)
    recent_months = np.bitwise_count(table.months & window)
    with np.errstate(invalid="ignore", divide="ignore"):
        reciprocity = np.where(total > 0, 2.0 * low / total, 0.0)
    return TableScores(
        score,
        tie_class,
        intensity,
        reciprocity,
        channels / len(CHANNELS),
        duration,
        i_ab,
        i_ba,
        recent_months >= config.repeat_pair_min_months,
        recent_months > 0,
    )


def tie_scores(table: PairTable, scores: TableScores, index) -> list[TieScore]:
    """Return the rows *index* (positions, in order) as ``TieScore`` objects: for the few pairs
    that leave the arrays (network edges)."""
    index = np.asarray(index)
    columns = (
        table.a[index].tolist(),
        table.b[index].tolist(),
        scores.score[index].tolist(),
        [CLASS_NAMES[c] for c in scores.tie_class[index].tolist()],
        scores.intensity[index].tolist(),
        scores.reciprocity[index].tolist(),
        scores.multiplexity[index].tolist(),
        scores.duration[index].tolist(),
        scores.i_ab[index].tolist(),
        scores.i_ba[index].tolist(),
        scores.repeat[index].tolist(),
        scores.recent[index].tolist(),
    )
    return [TieScore(*row) for row in zip(*columns, strict=True)]


def summary_of(scores: TableScores, mask: np.ndarray, config: MetricsConfig) -> dict:
    """Return the "ties" block (``ties.tie_summary``) over the pairs in *mask*."""
    classes = scores.tie_class[mask]
    counts = np.bincount(classes, minlength=3)
    strong, weak, latent = int(counts[2]), int(counts[1]), int(counts[0])
    active = strong + weak
    return {
        "pairs": int(mask.sum()),
        "strong": strong,
        "weak": weak,
        "latent": latent,
        "strong_share": strong / active if active else None,
        "strong_threshold": config.strong_threshold,
        "weak_threshold": config.weak_threshold,
    }


def mean_multiplexity_of(scores: TableScores, mask: np.ndarray) -> float | None:
    """``spectrum.mean_multiplexity`` over the pairs in *mask* (summed in key order)."""
    active = mask & (scores.tie_class > 0)
    values = scores.multiplexity[active]
    return sum(values.tolist()) / len(values) if len(values) else None


def repeat_pair_rate_of(scores: TableScores, mask: np.ndarray) -> float | None:
    """``spectrum.repeat_pair_rate`` over the pairs in *mask*."""
    recent = int(scores.recent[mask].sum())
    return int(scores.repeat[mask].sum()) / recent if recent else None


def ties_per_member(table: PairTable, scores: TableScores, mask: np.ndarray, code: int) -> dict:
    """Return {user: number of ties of class *code*} over the pairs in *mask*."""
    chosen = mask & (scores.tie_class == code)
    ends = np.concatenate([table.a[chosen], table.b[chosen]])
    users, counts = np.unique(ends, return_counts=True)
    return dict(zip(users.tolist(), counts.tolist(), strict=True))
