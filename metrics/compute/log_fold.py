"""The log's rows folded into a pair table with numpy: the vectorised twin of the SQL aggregation.

``metrics.collect`` reads the raw log columns of a range of rows (actor, target, kind as a code,
``occurred_at`` as epoch microseconds, group size) by binary ``COPY`` and hands them here. The
result has the bits of ``collect._pair_sql`` run on the same rows by the same database:

- the time ``t`` is ``microseconds / 1e6`` in double precision, as PostgreSQL's ``date_part
  ('epoch', …)`` and the SQLite expression compute it;
- a row's term is ``round(((w · exp(x)) / divisor) · 2^QUANTUM_BITS)``, the SQL's operations in
  the SQL's order, each a correctly rounded IEEE operation, with the vendor's rounding
  (PostgreSQL's ``round(float8)`` is ``rint``, half to even; SQLite's adds 0.5 and truncates);
- ``exp`` is numpy's, which may differ from the C library's (the databases') by one unit in the
  last place (measured here: 4.6 % of values, never more than one ulp). Every operation after it
  is monotonic, so a row whose term rounds to the same integer from ``exp`` − 4 ulp and from
  ``exp`` + 4 ulp has that term whatever the C library returns within 4 ulp; the few rows near
  a rounding boundary (0.2 % of the benchmark's log) are computed again with ``math.exp``, the C
  library's, as the database does;
- first and last contact, the channels' last uses and the month bits are minima, maxima and ORs
  of exact values, so grouping by a sort and ``reduceat`` gives what ``GROUP BY`` gives.

No Django imports.
"""

from __future__ import annotations

import math

import numpy as np

from .config import MetricsConfig
from .pairs import (
    CHANNEL_INDEX,
    KEY_SHIFT,
    MAX_EXPONENT,
    MONTH_BITS,
    PairTable,
    month_base,
    unit_rate,
)
from .ties import CHANNEL_OF_KIND, CHANNELS, KINDS, MIN_EXPONENT, QUANTUM, SYMMETRIC_KINDS

# Kind codes as the reader sends them: a kind's position in KINDS; -1 for any other text (the SQL
# gives such a row weight 0 and no channel, and so does this).
KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}
UNKNOWN_KIND = -1
# How far numpy's exp may be from the C library's for the fast path to be trusted (ulps).
EXP_ULPS = 4
# 1970-01-01 as an absolute month (year·12 + month − 1), for months counted from the epoch.
EPOCH_MONTH = 1970 * 12
ROUNDINGS = ("half_even", "half_up")


def _rounded(values: np.ndarray, rounding: str) -> np.ndarray:
    """Round non-negative *values* as the database's ``round`` does."""
    if rounding == "half_even":
        return np.rint(values)  # PostgreSQL: dround() is rint()
    # SQLite: (double)(sqlite_int64)(r + 0.5) for 0 <= r < 2^63
    return np.trunc(values + 0.5)


def row_terms(
    kind: np.ndarray,
    t: np.ndarray,
    group_size: np.ndarray,
    *,
    ref: float,
    config: MetricsConfig,
    rounding: str,
) -> np.ndarray:
    """Return each row's term in whole units (int64), as the SQL aggregation computes it."""
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}")
    # Index -1 (an unknown kind) reads the last entry: weight 0, not symmetric.
    weights = np.array([config.weight(k) for k in KINDS] + [0.0])
    symmetric = np.array([k in SYMMETRIC_KINDS for k in KINDS] + [False])
    weight = weights[kind]
    divisor = np.where(symmetric[kind], 2 * np.maximum(group_size - 1, 1), 1).astype(np.float64)
    exponent = np.maximum(np.minimum((t - ref) * unit_rate(config), MAX_EXPONENT), MIN_EXPONENT)
    growth = np.exp(exponent)

    def units(factor: np.ndarray) -> np.ndarray:
        return _rounded(weight * factor / divisor * QUANTUM, rounding)

    q = units(growth)
    # exp(x) >= exp(-700) is a positive normal double: ulps step through its integer bits.
    bits = growth.view(np.int64)
    low, high = units((bits - EXP_ULPS).view(np.float64)), units((bits + EXP_ULPS).view(np.float64))
    doubtful = np.flatnonzero(low != high)
    if len(doubtful):
        exact = np.array([math.exp(x) for x in exponent[doubtful].tolist()], np.float64)
        q[doubtful] = _rounded(weight[doubtful] * exact / divisor[doubtful] * QUANTUM, rounding)
    return q.astype(np.int64)


def months_of(micros: np.ndarray) -> np.ndarray:
    """Return the absolute UTC month (year·12 + month − 1) of each epoch-microsecond time."""
    return micros.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH


def table_from_log_columns(
    actor: np.ndarray,
    target: np.ndarray,
    kind: np.ndarray,
    micros: np.ndarray,
    group_size: np.ndarray,
    *,
    ref: float,
    config: MetricsConfig,
    rounding: str,
) -> PairTable:
    """Return the pair table of log rows given as columns (rows with actor = target already
    left out), referred to *ref*, in (a, b) order: ``collect._pair_sql``'s result, bit for bit.

    First and last contact are rounded to the microsecond, as ``collect`` rounds the SQL's.
    """
    if not len(actor):
        return PairTable.empty(ref)
    t = micros.astype(np.float64) / 1e6
    q = row_terms(kind, t, group_size, ref=ref, config=config, rounding=rounding)
    forward = actor < target
    a = np.where(forward, actor, target)
    b = np.where(forward, target, actor)
    keys = (a << KEY_SHIFT) | b
    # Every aggregate below is order-free (integer sums, minima, maxima, ORs): any sort will do.
    order = np.argsort(keys)
    keys = keys[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    q, forward, t, kind = q[order], forward[order], t[order], kind[order]
    zero = np.int64(0)
    units_ab = np.add.reduceat(np.where(forward, q, zero), starts)
    units_ba = np.add.reduceat(np.where(forward, zero, q), starts)
    first = np.minimum.reduceat(t, starts)
    last = np.maximum.reduceat(t, starts)
    channel_of_code = np.array(
        [CHANNEL_INDEX[CHANNEL_OF_KIND[k]] for k in KINDS] + [UNKNOWN_KIND], np.int64
    )
    channel = channel_of_code[kind]
    channels = np.empty((len(starts), len(CHANNELS)))
    for c in range(len(CHANNELS)):
        latest = np.maximum.reduceat(np.where(channel == c, t, -np.inf), starts)
        channels[:, c] = np.where(latest == -np.inf, np.nan, latest)
    bit = months_of(micros[order]) - month_base(ref)
    inside = (bit >= 0) & (bit < MONTH_BITS)
    month_bits = np.where(inside, np.left_shift(np.int64(1), np.where(inside, bit, 0)), zero)
    months = np.bitwise_or.reduceat(month_bits, starts)
    keys = keys[starts]
    return PairTable(
        ref,
        keys >> KEY_SHIFT,
        keys & np.int64(0xFFFFFFFF),
        units_ab,
        units_ba,
        np.round(first, 6),
        np.round(last, 6),
        channels,
        months,
    )
