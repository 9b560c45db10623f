"""Participation levels, month-to-month transitions, trajectories and newcomer retention.

Levels follow Wenger, McDermott & Snyder (2002) and Wenger-Trayner (core, active, occasional,
peripheral, plus dormant); trajectories follow Wenger (1998) and Lave & Wenger (1991). The rules
and their thresholds are in docs/METRICS.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .config import MetricsConfig
from .ties import DAY

LEVELS = ("core", "active", "occasional", "peripheral", "dormant")
LEVEL_RANK = {"dormant": 0, "peripheral": 1, "occasional": 2, "active": 3, "core": 4}
TRAJECTORIES = ("inbound", "insider", "peripheral", "outbound", "boundary")


@dataclass(frozen=True, slots=True)
class MemberActivity:
    """One member's activity in the level window."""

    user_id: int
    active_days: int = 0
    helps: int = 0
    contributions: int = 0
    presence: int = 0
    strong_ties: int = 0


def assign_levels(activities: Iterable[MemberActivity], *, config: MetricsConfig) -> dict[int, str]:
    """Return ``{user_id: level}``: exactly one level per member, the first rule that matches."""
    levels: dict[int, str] = {}
    members = list(activities)
    for m in members:
        if (
            m.active_days >= config.core_min_active_days
            and m.helps >= config.core_min_helps
            and m.strong_ties >= config.core_min_strong_ties
        ):
            levels[m.user_id] = "core"
        elif m.active_days >= config.active_min_active_days and m.helps >= config.active_min_helps:
            levels[m.user_id] = "active"
        elif m.contributions > 0:
            levels[m.user_id] = "occasional"
        elif m.presence > 0 or m.active_days > 0:
            levels[m.user_id] = "peripheral"
        else:
            levels[m.user_id] = "dormant"
    if "core" not in levels.values():
        # Small communities: nobody meets the core rule, so the most engaged tenth is the core.
        engaged = sum(1 for level in levels.values() if level != "dormant")
        quota = math.ceil(config.core_fallback_share * engaged - 1e-9)
        candidates = sorted(
            (
                m
                for m in members
                if m.contributions > 0 and m.active_days >= config.core_fallback_min_active_days
            ),
            key=lambda m: (-(m.active_days + m.helps), -m.contributions, m.user_id),
        )
        for m in candidates[:quota]:
            levels[m.user_id] = "core"
    return levels


def level_counts(levels: Mapping[int, str]) -> dict[str, int]:
    """Return the number of members per level (all five keys)."""
    counts = dict.fromkeys(LEVELS, 0)
    for level in levels.values():
        counts[level] += 1
    return counts


@dataclass(frozen=True)
class Transitions:
    """Members moving between levels from one snapshot to the next."""

    matrix: dict[str, dict[str, int]]
    moved_up: int
    held: int
    moved_down: int
    joined: int
    left: int

    def as_dict(self, from_as_of: str | None) -> dict:
        """Return the "transitions" block of a snapshot."""
        return {
            "from_as_of": from_as_of,
            "matrix": self.matrix,
            "moved_up": self.moved_up,
            "held": self.held,
            "moved_down": self.moved_down,
            "joined": self.joined,
            "left": self.left,
        }


def transitions(previous: Mapping[int, str], current: Mapping[int, str]) -> Transitions:
    """Return the transition matrix (previous level → current level) and its totals."""
    matrix = {a: dict.fromkeys(LEVELS, 0) for a in LEVELS}
    up = held = down = 0
    for user_id, level in current.items():
        before = previous.get(user_id)
        if before is None:
            continue
        matrix[before][level] += 1
        delta = LEVEL_RANK[level] - LEVEL_RANK[before]
        if delta > 0:
            up += 1
        elif delta < 0:
            down += 1
        else:
            held += 1
    joined = sum(1 for user_id in current if user_id not in previous)
    left = sum(1 for user_id in previous if user_id not in current)
    return Transitions(matrix, up, held, down, joined, left)


def trajectory(
    history: Sequence[str],
    *,
    config: MetricsConfig,
    communities_occasional: int = 1,
    broker: bool = False,
) -> str:
    """Return a member's trajectory from their levels, oldest → newest (the last is current).

    First match wins: outbound, insider, inbound, boundary, peripheral; "" when none applies.
    """
    if not history:
        return ""
    window = [LEVEL_RANK[level] for level in history[-config.trajectory_snapshots :]]
    now, earlier = window[-1], window[:-1]
    active, occasional, peripheral = LEVEL_RANK["active"], LEVEL_RANK["occasional"], 1
    if earlier and max(earlier) >= active and now <= peripheral:
        return "outbound"
    recent = window[-config.insider_min_snapshots :]
    if len(recent) >= config.insider_min_snapshots and min(recent) >= active:
        return "insider"
    if earlier and now - min(earlier) >= config.inbound_min_rise:
        return "inbound"
    if broker or (now >= occasional and communities_occasional >= config.boundary_min_communities):
        return "boundary"
    stay = [LEVEL_RANK[level] for level in history[-config.peripheral_min_snapshots :]]
    if len(stay) >= config.peripheral_min_snapshots and all(
        peripheral <= rank <= occasional for rank in stay
    ):
        return "peripheral"
    return ""


def trajectory_counts(trajectories: Mapping[int, str]) -> dict[str, int]:
    """Return the number of members per trajectory (all five keys; members with none left out)."""
    counts = dict.fromkeys(TRAJECTORIES, 0)
    for value in trajectories.values():
        if value:
            counts[value] += 1
    return counts


def newcomer_retention(
    first_second: Iterable[tuple[float, float | None]], *, as_of: float, config: MetricsConfig
) -> float | None:
    """Return the share of first-time contributors who contributed again within the return window.

    The cohort is the members whose first contribution lies in the level window that ends one
    return window before *as_of* (default: 180 to 90 days ago), so everyone counted had the full
    return window to come back.
    """
    horizon = config.newcomer_return_days * DAY
    since = as_of - config.level_window_days * DAY - horizon
    eligible = returned = 0
    for first, second in first_second:
        if first < since or first > as_of - horizon:
            continue
        eligible += 1
        if second is not None and second - first <= horizon:
            returned += 1
    return returned / eligible if eligible else None


def brokers(
    betweenness: Mapping[int, float], ei: Mapping[int, float | None], *, config: MetricsConfig
) -> set[int]:
    """Return the members in the top share by betweenness (> 0) whose ties mostly cross groups."""
    ranked = sorted((b, -u, u) for u, b in betweenness.items() if b > 0)
    quota = math.ceil(config.broker_top_share * len(betweenness) - 1e-9)
    top = [u for _, _, u in reversed(ranked)][:quota]
    return {u for u in top if (ei.get(u) or 0.0) > 0}
