"""Tie strength between two members: pair state, incremental fold, decay, score and class.

A pair's state holds its decayed directed intensities referred to a reference time ``ref``, the
first and last contact, the last time each channel was used and the months with contact. New
interactions fold in without rereading the log: ``I(T) = I(ref) · 2^(−(T − ref)/h)``. The score
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
PairKindAggregate = tuple[int, int, str, float, float, float, Iterable[int]]
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


def _kind_factors(config: MetricsConfig) -> dict[str, float]:
    """Return the weight applied to a unit sum per kind (w, or w/2 for symmetric kinds)."""
    return {k: config.weight(k) / (2.0 if k in SYMMETRIC_KINDS else 1.0) for k in KINDS}


@dataclass(slots=True)
class PairState:
    """The foldable state of one pair (a < b), mirroring a TieStrength row."""

    a: int
    b: int
    i_ab: float
    i_ba: float
    ref: float
    first: float
    last: float
    channels: dict[str, float] = field(default_factory=dict)
    months: set[int] = field(default_factory=set)

    def intensities_at(self, t: float, half_life_days: float) -> tuple[float, float]:
        """Return the directed intensities (a→b, b→a) referred to time *t*."""
        factor = decay(t - self.ref, half_life_days)
        return self.i_ab * factor, self.i_ba * factor

    def rebase(self, ref: float, half_life_days: float) -> None:
        """Refer the intensities to *ref* instead of the current reference time."""
        if ref != self.ref:
            factor = decay(ref - self.ref, half_life_days)
            self.i_ab *= factor
            self.i_ba *= factor
            self.ref = ref


def fold_interactions(
    states: dict[PairKey, PairState],
    rows: Iterable[InteractionRow],
    *,
    ref: float,
    config: MetricsConfig,
) -> dict[PairKey, PairState]:
    """Fold log rows ``(actor, target, kind, t, group_size)`` into *states* (mutated, returned)."""
    rate = LN2 / (config.half_life_days * DAY)
    factors = _kind_factors(config)
    channel_of = CHANNEL_OF_KIND
    symmetric = SYMMETRIC_KINDS
    exp = math.exp
    months_cache = _month_of_day
    get = states.get
    for actor, target, kind, t, group_size in rows:
        if actor < target:
            key = (actor, target)
        elif actor > target:
            key = (target, actor)
        else:
            continue
        contribution = factors[kind] * exp((t - ref) * rate)
        if kind in symmetric and group_size > 2:
            contribution /= group_size - 1
        state = get(key)
        if state is None:
            state = PairState(key[0], key[1], 0.0, 0.0, ref, t, t, {}, set())
            states[key] = state
        else:
            if state.ref != ref:
                state.rebase(ref, config.half_life_days)
            if t < state.first:
                state.first = t
            if t > state.last:
                state.last = t
        if actor < target:
            state.i_ab += contribution
        else:
            state.i_ba += contribution
        channels = state.channels
        channel = channel_of[kind]
        if channels.get(channel, -1e300) < t:
            channels[channel] = t
        month = months_cache.get(int(t // DAY))
        state.months.add(month if month is not None else month_number(t))
    return states


def fold_aggregates(
    states: dict[PairKey, PairState],
    rows: Iterable[PairKindAggregate],
    *,
    ref: float,
    config: MetricsConfig,
) -> dict[PairKey, PairState]:
    """Fold per-(actor, target, kind) sums aggregated in SQL into *states* (mutated, returned).

    Each row is ``(actor, target, kind, unit_sum, first, last, months)`` where
    ``unit_sum = Σ 2^(−(ref − t)/h) / m`` with m = 1 for directed kinds and m = group_size − 1 for
    symmetric kinds; the kind's weight (w, or w/2 for symmetric kinds) is applied here.
    """
    factors = _kind_factors(config)
    for actor, target, kind, unit_sum, first, last, months in rows:
        if actor == target:
            continue
        key = (actor, target) if actor < target else (target, actor)
        state = states.get(key)
        if state is None:
            state = PairState(key[0], key[1], 0.0, 0.0, ref, first, last)
            states[key] = state
        elif state.ref != ref:
            state.rebase(ref, config.half_life_days)
        contribution = factors[kind] * unit_sum
        if actor < target:
            state.i_ab += contribution
        else:
            state.i_ba += contribution
        state.first = min(state.first, first)
        state.last = max(state.last, last)
        channel = CHANNEL_OF_KIND[kind]
        if state.channels.get(channel, -math.inf) < last:
            state.channels[channel] = last
        state.months.update(months)
    return states


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
