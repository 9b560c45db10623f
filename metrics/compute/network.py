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
    edge_list = list(edges)
    ids = sorted({u for edge in edge_list for u in edge})
    index = {u: i for i, u in enumerate(ids)}
    names = sorted({g for g in (groups.get(u) for u in ids) if g is not None})
    code_of = {g: c for c, g in enumerate(names)}
    codes = [code_of.get(groups.get(u), -1) for u in ids]
    indexed = [(index[u], index[v]) for u, v in edge_list]
    overall, by_group, by_index = _ei_counts(indexed, codes, names)
    return overall, by_group, {ids[i]: value for i, value in by_index.items()}


def _ei_counts(
    edges: list[tuple[int, int]], codes: list[int], names: list[str]
) -> tuple[float | None, dict[str, float], dict[int, float]]:
    """Return the E-I index over vertex indices with integer group codes (−1: no group)."""
    n = len(codes)
    ext_member, int_member = [0] * n, [0] * n
    ext_group, int_group = [0] * len(names), [0] * len(names)
    ext = internal = 0
    for a, b in edges:
        ca, cb = codes[a], codes[b]
        if ca < 0 or cb < 0:
            continue
        if ca == cb:
            internal += 1
            int_group[ca] += 1
            int_member[a] += 1
            int_member[b] += 1
        else:
            ext += 1
            ext_group[ca] += 1
            ext_group[cb] += 1
            ext_member[a] += 1
            ext_member[b] += 1
    overall = (ext - internal) / (ext + internal) if ext + internal else None
    by_group = {
        names[c]: (ext_group[c] - int_group[c]) / (ext_group[c] + int_group[c])
        for c in range(len(names))
        if ext_group[c] + int_group[c]
    }
    by_member = {
        i: (ext_member[i] - int_member[i]) / (ext_member[i] + int_member[i])
        for i in range(n)
        if ext_member[i] + int_member[i]
    }
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
    with_betweenness: bool = True,
) -> NetworkResult:
    """Return the network measures of *members* joined by *ties* with S ≥ network_min_score.

    Ties with an end outside *members* are left out; *groups* maps member → professional group
    name (or None). Every member is a node, so isolates count. Betweenness dominates the cost on
    large graphs; ``with_betweenness=False`` skips it (zeros, no brokers, ``betweenness_exact``
    None) for callers that keep the previous run's values.
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
    if with_betweenness:
        between, exact, samples = betweenness(graph, distances, config)
    else:
        between, exact, samples = [0.0] * n, None, None
    if with_constraint and n:
        constraint = [None if c != c else c for c in graph.constraint(weights=weights)]
    else:
        constraint = [None] * n
    components = graph.connected_components() if n else []
    sizes = components.sizes() if n else []
    local = graph.transitivity_local_undirected(mode="zero") if n else []

    # Reciprocity of the directed tie graph: a tie is an arc each way it was used.
    arcs = m + mutual
    member_groups = [groups.get(u) for u in ids]
    names = sorted({g for g in member_groups if g is not None})
    code_of = {g: c for c, g in enumerate(names)}
    codes = [code_of.get(g, -1) for g in member_groups]
    ei, ei_groups, ei_members = _ei_counts(edges, codes, names)
    positions = {
        u: MemberPosition(
            degree[i], strength[i], between[i], core[i], constraint[i], ei_members.get(i)
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
