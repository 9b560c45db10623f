"""Where a community sits between a community of practice and a network of practice.

Brown & Duguid (2001) contrast communities of practice (dense, reciprocal, lasting relations)
with electronic networks of practice (large, loosely coupled, mostly one-off exchanges). Six
indicators are each mapped linearly to [0, 1] between a network-like and a CoP-like anchor
(settings ``spectrum_<indicator>``); the position is their mean.
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import MetricsConfig
from .ties import TieScore

INDICATORS = (
    "strong_share",
    "reciprocity",
    "transitivity",
    "multiplexity",
    "repeat_pairs",
    "continuity",
)


def indicator_score(value: float | None, network_anchor: float, cop_anchor: float) -> float | None:
    """Map *value* linearly to [0, 1]: 0 at or beyond the network anchor, 1 at the CoP anchor."""
    if value is None:
        return None
    score = (value - network_anchor) / (cop_anchor - network_anchor)
    return min(1.0, max(0.0, score))


def mean_multiplexity(scores: Sequence[TieScore]) -> float | None:
    """Return the mean multiplexity of the active (strong or weak) ties."""
    values = [t.multiplexity for t in scores if t.tie_class != "latent"]
    return sum(values) / len(values) if values else None


def repeat_pair_rate(scores: Sequence[TieScore]) -> float | None:
    """Return the share of recently interacting pairs that interacted in several recent months."""
    recent = repeat = 0
    for t in scores:
        recent += t.recent
        repeat += t.repeat
    return repeat / recent if recent else None


def spectrum(
    *,
    strong_share: float | None,
    reciprocity: float | None,
    transitivity: float | None,
    density: float | None,
    multiplexity: float | None,
    repeat_pairs: float | None,
    continuity: float | None,
    config: MetricsConfig,
) -> dict:
    """Return the "spectrum" block: each indicator's value and score, their mean and a label.

    Transitivity only counts as community-like when it exceeds the density, the transitivity a
    random graph of the same density would show; otherwise its score is 0.
    """
    values = {
        "strong_share": strong_share,
        "reciprocity": reciprocity,
        "transitivity": transitivity,
        "multiplexity": multiplexity,
        "repeat_pairs": repeat_pairs,
        "continuity": continuity,
    }
    indicators = {}
    for name, value in values.items():
        network_anchor, cop_anchor = getattr(config, f"spectrum_{name}")
        score = indicator_score(value, network_anchor, cop_anchor)
        if name == "transitivity" and score is not None and value <= (density or 0.0):
            score = 0.0
        indicators[name] = {"value": value, "score": score}
    available = [item["score"] for item in indicators.values() if item["score"] is not None]
    mean = sum(available) / len(available) if available else None
    if mean is None:
        label = None
    elif mean >= config.spectrum_cop_min:
        label = "community of practice"
    elif mean <= config.spectrum_network_max:
        label = "network of practice"
    else:
        label = "in between"
    return {"indicators": indicators, "score": mean, "label": label}
