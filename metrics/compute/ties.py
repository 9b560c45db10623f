"""Tie strength between two members: pair state, decay, score and class.

A pair's state holds its decayed directed intensities referred to its last contact ``ref``, the
first and last contact, the last time each channel was used and the months with contact: a
function of the pair's log rows alone, summed exactly, so any run that reads the same rows gets
the same bits. As of any later T, ``I(T) = I(ref) · 2^(−(T − ref)/h)``. The score
(docs/METRICS.md, "Tie strength") is

    S = F · (base + m·M + d·D) + r·F_r
    F   = 1 − exp(−(I(u→v) + I(v→u)) / κ)          intensity (Gilbert & Karahalios 2009)
    F_r = 1 − exp(−2·min(I(u→v), I(v→u)) / κ)      reciprocated intensity (Granovetter 1973)
    M   = channels used in the last 365 days / 6     multiplexity (Haythornthwaite 2002)
    D   = min(1, (last − first) / 365 days)          duration

Times are UTC epoch seconds. No Django imports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from .config import MetricsConfig

KINDS = ("answer", "reply", "accept", "vote", "worked", "mention", "co_attendance", "co_edit")
SYMMETRIC_KINDS = frozenset({"co_attendance", "co_edit"})
CHANNEL_OF_KIND = {
    "answer": "qa",
    "accept": "qa",
    "reply": "discussion",
    "mention": "mention",
    "vote": "endorsement",
    "worked": "endorsement",
    "co_attendance": "event",
    "co_edit": "co_edit",
}
CHANNELS = ("discussion", "qa", "mention", "endorsement", "event", "co_edit")
DAY = 86400.0
LN2 = math.log(2.0)

InteractionRow = tuple[int, int, str, float, int]
PairKey = tuple[int, int]

_month_of_day: dict[int, int] = {}


def month_number(t: float) -> int:
    """Return the absolute UTC month of epoch second *t* (year·12 + month − 1)."""
    day = int(t // DAY)
    month = _month_of_day.get(day)
    if month is None:
        moment = datetime.fromtimestamp(day * DAY, UTC)
        month = moment.year * 12 + moment.month - 1
        _month_of_day[day] = month
    return month


def decay(age_seconds: float, half_life_days: float) -> float:
    """Return the decay factor ``2^(−age/h)`` of an interaction *age_seconds* old."""
    return math.exp(-age_seconds * LN2 / (half_life_days * DAY))


def row_weight(kind: str, group_size: int, config: MetricsConfig) -> float:
    """Return the weight of one directed log row: w, or w/(2(n−1)) for a symmetric group of n."""
    weight = config.weight(kind)
    if kind in SYMMETRIC_KINDS:
        return weight / (2 * max(group_size - 1, 1))
    return weight


# Intensities are sums of terms each rounded to a whole number of 2^-40 (about 1e-12) and added as
# integers, which is exact: a pair's state does not depend on the order its rows come in (SQL
# promises none), so a pair recomputed in an incremental run has the bits a full run gives it.
# 2^-40 is far below any difference a score can show; a pair would need millions of rows to
# overflow the 64-bit sum.
QUANTUM_BITS = 40
QUANTUM = float(2**QUANTUM_BITS)
# Terms older than this many e-foldings underflow to 0 anyway (PostgreSQL's exp() raises instead).
MIN_EXPONENT = -700.0


def units_to_intensity(units) -> float:
    """Return the intensity of a sum of quantised terms (an int, or a Decimal from SQL)."""
    return math.ldexp(float(units), -QUANTUM_BITS)


@dataclass(slots=True)
class PairState:
    """The state of one pair (a < b), mirroring a TieStrength row: the directed intensities
    referred to ``ref``, the pair's last contact, so the state depends on the pair's rows alone."""

    a: int
    b: int
    i_ab: float
    i_ba: float
    ref: float
    first: float
    last: float
    channels: dict[str, float] = field(default_factory=dict)
    months: set[int] = field(default_factory=set)


def pair_key(actor: int, target: int) -> PairKey:
    return (actor, target) if actor < target else (target, actor)


def last_contacts(rows: Iterable[InteractionRow]) -> dict[PairKey, float]:
    """Return each pair's last contact in log rows ``(actor, target, kind, t, group_size)``."""
    last: dict[PairKey, float] = {}
    for actor, target, _, t, _ in rows:
        if actor != target:
            key = pair_key(actor, target)
            if t > last.get(key, -math.inf):
                last[key] = t
    return last


def pair_states(
    rows: Iterable[InteractionRow],
    *,
    config: MetricsConfig,
    last: dict[PairKey, float] | None = None,
) -> dict[PairKey, PairState]:
    """Return the state of every pair in log rows ``(actor, target, kind, t, group_size)``.

    Each intensity is ``Σ w · 2^(−(last − t)/h)`` over the pair's rows in one direction, referred
    to the pair's last contact *last* (``last_contacts`` of the same rows; computed here when not
    given, which reads *rows* twice) and summed exactly (``QUANTUM_BITS``): the same rows in any
    order give the same bits. ``metrics.collect`` computes the same sums in SQL.
    """
    if last is None:
        rows = list(rows)
        last = last_contacts(rows)
    rate = LN2 / (config.half_life_days * DAY)
    weights = {k: config.weight(k) for k in KINDS}
    exp = math.exp
    sums: dict[PairKey, list] = {}
    for actor, target, kind, t, group_size in rows:
        if actor == target:
            continue
        key = pair_key(actor, target)
        divisor = 2 * max(group_size - 1, 1) if kind in SYMMETRIC_KINDS else 1
        term = weights[kind] * exp(max((t - last[key]) * rate, MIN_EXPONENT)) / divisor
        entry = sums.get(key)
        if entry is None:
            # [units a→b, units b→a, first, channels, months]
            entry = sums[key] = [0, 0, t, {}, set()]
        entry[0 if actor < target else 1] += round(term * QUANTUM)
        if t < entry[2]:
            entry[2] = t
        channels = entry[3]
        channel = CHANNEL_OF_KIND[kind]
        if channels.get(channel, -math.inf) < t:
            channels[channel] = t
        entry[4].add(month_number(t))
    return {
        key: PairState(
            key[0],
            key[1],
            units_to_intensity(units_ab),
            units_to_intensity(units_ba),
            last[key],
            first,
            last[key],
            channels,
            months,
        )
        for key, (units_ab, units_ba, first, channels, months) in sums.items()
    }


class TieScore(NamedTuple):
    """A pair's tie as of one moment: the score, its parts and its class."""

    a: int
    b: int
    score: float
    tie_class: str
    intensity: float
    reciprocity: float
    multiplexity: float
    duration: float
    i_ab: float
    i_ba: float
    repeat: bool
    recent: bool


def classify(score: float, config: MetricsConfig) -> str:
    """Return "strong", "weak" or "latent" for a tie score."""
    if score >= config.strong_threshold:
        return "strong"
    if score >= config.weak_threshold:
        return "weak"
    return "latent"


def score_pair(state: PairState, *, as_of: float, config: MetricsConfig) -> TieScore:
    """Return the tie of one pair as of *as_of*."""
    return score_all([state], as_of=as_of, config=config)[0]


def score_all(
    states: Iterable[PairState], *, as_of: float, config: MetricsConfig
) -> list[TieScore]:
    """Return the tie of every pair in *states* as of *as_of* (one tight loop, no rebasing)."""
    rate = LN2 / (config.half_life_days * DAY)
    kappa = config.kappa
    base, r_coef = config.score_base, config.score_reciprocity
    m_coef = config.score_multiplexity / len(CHANNELS)
    d_coef, d_span = config.score_duration, config.duration_full_days * DAY
    channel_cutoff = as_of - config.multiplexity_window_days * DAY
    strong, weak = config.strong_threshold, config.weak_threshold
    month_now = month_number(as_of)
    recent_window = set(range(month_now - config.repeat_pair_months + 1, month_now + 1))
    repeat_min = config.repeat_pair_min_months
    exp, expm1 = math.exp, math.expm1
    out = []
    append = out.append
    for s in states:
        factor = exp((s.ref - as_of) * rate)
        i_ab, i_ba = s.i_ab * factor, s.i_ba * factor
        total = i_ab + i_ba
        low = i_ab if i_ab < i_ba else i_ba
        intensity = -expm1(-total / kappa)
        reciprocated = -expm1(-2.0 * low / kappa)
        used = s.channels.values()
        if min(used, default=as_of) >= channel_cutoff:
            channels = len(used)
        else:
            channels = sum(1 for last_used in used if last_used >= channel_cutoff)
        span = (s.last - s.first) / d_span
        duration = span if span < 1.0 else 1.0
        score = intensity * (base + m_coef * channels + d_coef * duration) + r_coef * reciprocated
        tie_class = "strong" if score >= strong else "weak" if score >= weak else "latent"
        recent_months = len(recent_window & s.months)
        append(
            TieScore(
                s.a,
                s.b,
                score,
                tie_class,
                intensity,
                2.0 * low / total if total > 0 else 0.0,
                channels / len(CHANNELS),
                duration,
                i_ab,
                i_ba,
                recent_months >= repeat_min,
                recent_months > 0,
            )
        )
    return out


def tie_summary(scores: Sequence[TieScore], config: MetricsConfig) -> dict:
    """Return the "ties" block of a snapshot: counts per class and the share of strong ties."""
    counts = {"strong": 0, "weak": 0, "latent": 0}
    for tie in scores:
        counts[tie.tie_class] += 1
    active = counts["strong"] + counts["weak"]
    return {
        "pairs": len(scores),
        **counts,
        "strong_share": counts["strong"] / active if active else None,
        "strong_threshold": config.strong_threshold,
        "weak_threshold": config.weak_threshold,
    }
