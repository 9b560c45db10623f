"""Every threshold, weight, window and half-life of the metrics, with its default (docs/METRICS.md).

Each field is a Django setting named ``METRICS_<FIELD>`` (upper case); ``metrics/conf.py`` builds
the config from settings with :func:`config_from_settings`. This module imports nothing from Django.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SETTING_PREFIX = "METRICS_"


@dataclass(frozen=True)
class MetricsConfig:
    """Settings of the metric definitions; the defaults are documented in docs/METRICS.md."""

    # Participation windows (days) and the window the levels use.
    windows: tuple[int, ...] = (7, 30, 90)
    level_window_days: int = 90

    # Tie strength: decay, saturation, weights per interaction kind, score coefficients.
    half_life_days: float = 90.0
    kappa: float = 4.0
    weight_accept: float = 3.0
    weight_answer: float = 2.0
    weight_co_attendance: float = 2.0
    weight_co_edit: float = 1.5
    weight_reply: float = 1.0
    weight_worked: float = 1.0
    weight_mention: float = 0.5
    weight_vote: float = 0.25
    score_base: float = 0.3
    score_reciprocity: float = 0.3
    score_multiplexity: float = 0.2
    score_duration: float = 0.2
    multiplexity_window_days: int = 365
    duration_full_days: int = 365
    strong_threshold: float = 0.5
    weak_threshold: float = 0.1
    network_min_score: float = 0.1

    # Responses.
    response_hours: float = 48.0
    at_risk_limit: int = 20

    # Participation levels (first match wins).
    core_min_active_days: int = 24
    core_min_helps: int = 6
    core_min_strong_ties: int = 2
    core_fallback_share: float = 0.10
    core_fallback_min_active_days: int = 6
    active_min_active_days: int = 7
    active_min_helps: int = 2

    # Trajectories over the monthly level history.
    trajectory_snapshots: int = 6
    inbound_min_rise: int = 2
    insider_min_snapshots: int = 3
    peripheral_min_snapshots: int = 6
    boundary_min_communities: int = 2
    broker_top_share: float = 0.10
    newcomer_return_days: int = 90

    # Concentration.
    gini_include_zero: bool = False
    top_share_large: float = 0.10
    top_share_small: float = 0.01

    # Network.
    betweenness_exact_max_nodes: int = 2000
    betweenness_samples: int = 500
    betweenness_seed: int = 20240501
    top_brokers: int = 10
    posts_per_week_weeks: int = 26

    # Community of practice <-> network of practice: (network-like anchor, CoP-like anchor).
    repeat_pair_months: int = 6
    repeat_pair_min_months: int = 2
    spectrum_strong_share: tuple[float, float] = (0.05, 0.30)
    spectrum_reciprocity: tuple[float, float] = (0.1, 0.5)
    spectrum_transitivity: tuple[float, float] = (0.05, 0.25)
    spectrum_multiplexity: tuple[float, float] = (1 / 6, 0.4)
    spectrum_repeat_pairs: tuple[float, float] = (0.1, 0.4)
    spectrum_continuity: tuple[float, float] = (0.2, 0.6)
    spectrum_cop_min: float = 2 / 3
    spectrum_network_max: float = 1 / 3

    @property
    def longest_window_days(self) -> int:
        """The longest window a run reads (participation or levels)."""
        return max((*self.windows, self.level_window_days))

    def weight(self, kind: str) -> float:
        """Return the weight of one interaction of *kind* (before any group split)."""
        try:
            return getattr(self, f"weight_{kind}")
        except AttributeError:
            raise ValueError(f"unknown interaction kind {kind!r}") from None

    def as_dict(self) -> dict[str, Any]:
        """Return the config as JSON-able values (tuples become lists)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out


def setting_names() -> dict[str, str]:
    """Return ``{field: "METRICS_FIELD"}`` for every field of :class:`MetricsConfig`."""
    return {f.name: SETTING_PREFIX + f.name.upper() for f in dataclasses.fields(MetricsConfig)}


def config_from_settings(get: Callable[[str, Any], Any]) -> MetricsConfig:
    """Build a config from ``get(setting_name, default)``, e.g. a getattr on Django settings."""
    defaults = MetricsConfig()
    values: dict[str, Any] = {}
    for field in dataclasses.fields(MetricsConfig):
        default = getattr(defaults, field.name)
        value = get(SETTING_PREFIX + field.name.upper(), default)
        values[field.name] = _coerce(value, default)
    return MetricsConfig(**values)


def _coerce(value: Any, default: Any) -> Any:
    """Give *value* the type of *default* (settings from the environment arrive as strings)."""
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes", "on"}
        return bool(value)
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else value
        kind = type(default[0]) if default else float
        return tuple(kind(item) for item in items)
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value
