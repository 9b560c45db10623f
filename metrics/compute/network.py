"""Network measures of a community's tie graph, computed with igraph's C core.

Nodes are the members; edges are the ties with score S ≥ ``network_min_score`` (undirected,
weight S; shortest paths use the distance 1/S, never S). Reciprocity uses the directed intensities
of the same ties. Every measure matches networkx's definition (tests use networkx as the oracle);
betweenness is exact up to ``betweenness_exact_max_nodes`` nodes and estimated above it from
``betweenness_samples`` pivots drawn with a fixed seed (Brandes & Pich 2007), flagged approximate.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import igraph

from .config import MetricsConfig
from .ties import TieScore


@dataclass(frozen=True, slots=True)
class MemberPosition:
    """One member's place in the network."""

    degree: int
    strength: float
    betweenness: float
    core: int
    constraint: float | None
    ei: float | None


@dataclass(frozen=True)
class NetworkResult:
    """The "network" block of a snapshot and every member's position."""

    summary: dict
    members: dict[int, MemberPosition]


def _clean(value: float) -> float:
    """Return 0.0 for NaN (igraph's value where networkx's convention is 0)."""
    return 0.0 if value != value else value


def betweenness(
    graph: igraph.Graph, distances: list[float], config: MetricsConfig
) -> tuple[list[float], bool, int | None]:
    """Return (normalised betweenness per vertex, exact?, pivots used) of an undirected graph.

    Normalised like networkx: raw pair-dependency sums times 2/((n−1)(n−2)). Above the exact size
    the raw sums are estimated from k random pivots as (n/k) · subset-betweenness(pivots).
    """
    n = graph.vcount()
    if n < 3 or graph.ecount() == 0:
        return [0.0] * n, True, None
    scale = 2.0 / ((n - 1) * (n - 2))
    if n <= config.betweenness_exact_max_nodes or config.betweenness_samples >= n:
        raw = graph.betweenness(directed=False, weights=distances)
        return [b * scale for b in raw], True, None
    k = config.betweenness_samples
    pivots = sorted(random.Random(config.betweenness_seed).sample(range(n), k))
    raw = graph.betweenness(directed=False, weights=distances, sources=pivots)
    scale *= n / k
    return [b * scale for b in raw], False, k


def ei_index(
    edges: Iterable[tuple[int, int]], groups: Mapping[int, str | None]
) -> tuple[float | None, dict[str, float], dict[int, float]]:
    """Return the E-I index (Krackhardt & Stern 1988): overall, per group and per member.

    Only edges whose two ends have a group count. Per group, a tie inside the group counts once
    as internal and a tie to another group counts as external.
    """
    ext = internal = 0
    group_counts: dict[str, list[int]] = {}
    member_counts: dict[int, list[int]] = {}
    for u, v in edges:
        gu, gv = groups.get(u), groups.get(v)
        if gu is None or gv is None:
            continue
        slot = 0 if gu != gv else 1
        if slot == 0:
            ext += 1
            group_counts.setdefault(gu, [0, 0])[0] += 1
            group_counts.setdefault(gv, [0, 0])[0] += 1
        else:
            internal += 1
            group_counts.setdefault(gu, [0, 0])[1] += 1
        member_counts.setdefault(u, [0, 0])[slot] += 1
        member_counts.setdefault(v, [0, 0])[slot] += 1
    overall = (ext - internal) / (ext + internal) if ext + internal else None
    by_group = {g: (e - i) / (e + i) for g, (e, i) in sorted(group_counts.items())}
    by_member = {u: (e - i) / (e + i) for u, (e, i) in member_counts.items()}
    return overall, by_group, by_member


def ei_baseline(groups: Iterable[str | None]) -> float | None:
    """Return the E-I index expected under random mixing of groups of the given members."""
    sizes: dict[str, int] = {}
    for g in groups:
        if g is not None:
            sizes[g] = sizes.get(g, 0) + 1
    total = sum(sizes.values())
    p_int = sum(s * (s - 1) / 2 for s in sizes.values())
    p_ext = (total * total - sum(s * s for s in sizes.values())) / 2
    return (p_ext - p_int) / (p_ext + p_int) if p_ext + p_int else None


def network_measures(
    *,
    members: Iterable[int],
    ties: Iterable[TieScore],
    groups: Mapping[int, str | None],
    config: MetricsConfig,
    with_constraint: bool = True,
) -> NetworkResult:
    """Return the network measures of *members* joined by *ties* with S ≥ network_min_score.

    Ties with an end outside *members* are left out; *groups* maps member → professional group
    name (or None). Every member is a node, so isolates count.
    """
    ids = sorted(set(members))
    index = {u: i for i, u in enumerate(ids)}
    n = len(ids)
    edges: list[tuple[int, int]] = []
    weights: list[float] = []
    mutual = 0
    for tie in ties:
        if tie.score < config.network_min_score:
            continue
        ia, ib = index.get(tie.a), index.get(tie.b)
        if ia is None or ib is None:
            continue
        edges.append((ia, ib))
        weights.append(tie.score)
        mutual += tie.i_ab > 0 and tie.i_ba > 0
    m = len(edges)
    graph = igraph.Graph(n=n, edges=edges)
    distances = [1.0 / w for w in weights]
    degree = graph.degree()
    strength = graph.strength(weights=weights) if m else [0.0] * n
    core = graph.coreness() if n else []
    between, exact, samples = betweenness(graph, distances, config)
    if with_constraint and n:
        constraint = [None if c != c else c for c in graph.constraint(weights=weights)]
    else:
        constraint = [None] * n
    components = graph.connected_components() if n else []
    sizes = components.sizes() if n else []
    local = graph.transitivity_local_undirected(mode="zero") if n else []

    # Reciprocity of the directed tie graph: a tie is an arc each way it was used.
    arcs = m + mutual
    ei, ei_groups, ei_members = ei_index(((ids[a], ids[b]) for a, b in edges), groups)
    member_groups = [groups.get(u) for u in ids]
    positions = {
        u: MemberPosition(
            degree[i], strength[i], between[i], core[i], constraint[i], ei_members.get(u)
        )
        for i, u in enumerate(ids)
    }
    ranked = sorted(range(n), key=lambda i: (-between[i], ids[i]))
    top = [
        {
            "user_id": ids[i],
            "betweenness": between[i],
            "degree": degree[i],
            "group": member_groups[i],
        }
        for i in ranked[: config.top_brokers]
        if between[i] > 0
    ]
    summary = {
        "nodes": n,
        "edges": m,
        "density": 2.0 * m / (n * (n - 1)) if n > 1 else 0.0,
        "average_degree": 2.0 * m / n if n else 0.0,
        "reciprocity": 2.0 * mutual / arcs if arcs else None,
        "reciprocity_dyadic": mutual / m if m else None,
        "transitivity": _clean(graph.transitivity_undirected()) if n else 0.0,
        "average_clustering": math.fsum(local) / n if n else 0.0,
        "components": len(sizes),
        "isolates": sum(1 for d in degree if d == 0),
        "giant_component_share": max(sizes) / n if n else 0.0,
        "max_core": max(core) if n else 0,
        "betweenness_exact": exact,
        "betweenness_samples": samples,
        "ei_index": ei,
        "ei_baseline": ei_baseline(member_groups),
        "ei_by_group": ei_groups,
        "top_brokers": top,
    }
    return NetworkResult(summary, positions)
