"""Positions for the network drawing: deterministic, in the unit square, no Django.

Each connected component is laid out on its own with Fruchterman-Reingold (igraph's C core,
edge weight = tie score, so strong ties pull harder); the components are then packed in rows,
largest first, each in a box whose side grows with the square root of its size, and the whole
picture is scaled into [0, 1]² keeping its aspect ratio. Laying components out separately keeps a
few isolates from pushing the giant component into one corner, which is what a single
force-directed run over a disconnected graph does.

Large graphs: only the ``max_nodes`` nodes of highest degree (ties broken by smaller id) are laid
out; the rest get no position and the drawing leaves them out (it says how many it shows). A
drawing of more than a few hundred nodes is unreadable anyway, and Fruchterman-Reingold costs
O(n²) per iteration without igraph's grid (used from 1,000 nodes on).

Determinism: nodes are sorted by id, starting positions come from ``random.Random(seed)`` and
igraph's random number generator is pointed at a generator with the same seed for the duration
of the call (and restored afterwards), so the same input always gives the same output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable

import igraph

Position = tuple[float, float]

DEFAULT_MAX_NODES = 2000
DEFAULT_SEED = 20240501


def network_layout(
    nodes: Iterable[Hashable],
    edges: Iterable[tuple[Hashable, Hashable, float]],
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    seed: int = DEFAULT_SEED,
    iterations: int = 300,
) -> dict[Hashable, Position]:
    """Return ``{node: (x, y)}`` with x, y in [0, 1] for up to *max_nodes* nodes of *nodes*.

    *edges* are ``(u, v, weight)`` with weight > 0 (the tie score); edges whose ends are not in
    *nodes*, self-loops and non-positive weights are ignored, duplicates keep the largest weight.
    Nodes left out because of *max_nodes* are missing from the result.
    """
    node_list = sorted(set(nodes), key=_sort_key)
    known = set(node_list)
    weights: dict[tuple[Hashable, Hashable], float] = {}
    for u, v, w in edges:
        if u == v or u not in known or v not in known:
            continue
        w = float(w)
        if not w > 0 or math.isinf(w):
            continue
        key = (u, v) if _sort_key(u) <= _sort_key(v) else (v, u)
        if w > weights.get(key, 0.0):
            weights[key] = w
    if not node_list:
        return {}

    if len(node_list) > max_nodes:
        degree: dict[Hashable, int] = dict.fromkeys(node_list, 0)
        for u, v in weights:
            degree[u] += 1
            degree[v] += 1
        ranked = sorted(node_list, key=lambda n: (-degree[n], _sort_key(n)))
        keep = set(ranked[: max(0, max_nodes)])
        node_list = [n for n in node_list if n in keep]
        weights = {k: w for k, w in weights.items() if k[0] in keep and k[1] in keep}
        if not node_list:
            return {}

    index = {n: i for i, n in enumerate(node_list)}
    edge_pairs = [(index[u], index[v]) for u, v in weights]
    edge_weights = list(weights.values())
    graph = igraph.Graph(n=len(node_list), edges=edge_pairs)

    rng = random.Random(seed)
    previous_rng = _current_igraph_rng()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        boxes = []
        for members in graph.connected_components():
            members = sorted(members)
            boxes.append(_component_layout(graph, members, edge_weights, rng, iterations))
    finally:
        igraph.set_random_number_generator(previous_rng)

    placed = _pack(boxes)
    return {node_list[i]: pos for i, pos in placed.items()}


def _sort_key(node: Hashable):
    # Ids are usually ints; mixed types still sort deterministically by (type name, repr).
    if isinstance(node, int | float):
        return (0, node, "")
    return (1, 0, f"{type(node).__name__}:{node!r}")


def _current_igraph_rng():
    # python-igraph keeps no public getter; its default generator is the ``random`` module.
    return random


def _component_layout(graph, members, edge_weights, rng, iterations):
    """Lay out one component; return (size, {vertex: (x, y)} normalised to [0, 1]²)."""
    n = len(members)
    if n == 1:
        return n, {members[0]: (0.5, 0.5)}
    if n == 2:
        return n, {members[0]: (0.2, 0.5), members[1]: (0.8, 0.5)}
    sub = graph.induced_subgraph(members, implementation="create_from_scratch")
    # induced_subgraph keeps vertex order (members sorted), so edge ids map back by endpoints.
    sub_weights = []
    for edge in sub.es:
        u, v = members[edge.source], members[edge.target]
        sub_weights.append(edge_weights[graph.get_eid(u, v)])
    # Spread the start like igraph does (side √n): with the grid variant, nodes all starting in one
    # cell would make every iteration quadratic.
    side = math.sqrt(n)
    start = [[rng.random() * side, rng.random() * side] for _ in range(n)]
    coords = sub.layout_fruchterman_reingold(
        weights=sub_weights, niter=iterations, seed=start, grid="auto"
    ).coords
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    span = max(max_x - min_x, max_y - min_y) or 1.0
    # Centre the shorter side so the component keeps its shape inside its square box.
    off_x = (span - (max_x - min_x)) / 2
    off_y = (span - (max_y - min_y)) / 2
    positions = {}
    for vertex, (x, y) in zip(members, coords, strict=True):
        px = (x - min_x + off_x) / span
        py = (y - min_y + off_y) / span
        positions[vertex] = (_finite(px), _finite(py))
    return n, positions


def _finite(value: float) -> float:
    if math.isnan(value) or math.isinf(value):
        return 0.5
    return min(1.0, max(0.0, value))


def _pack(boxes):
    """Pack square component boxes in rows (largest first) and scale into [0, 1]²."""
    boxes.sort(key=lambda b: (-b[0], min(b[1])))
    sides = [math.sqrt(size) for size, _ in boxes]
    total_area = sum(s * s for s in sides)
    row_width = max(max(sides), math.sqrt(total_area) * 1.15)
    gap = 0.6  # in units of a single node's box, so isolates do not touch
    placed: dict[int, Position] = {}
    raw: dict[int, Position] = {}
    x = y = row_height = width = 0.0
    for (_, positions), side in zip(boxes, sides, strict=True):
        if x > 0 and x + side > row_width:
            x = 0.0
            y += row_height + gap
            row_height = 0.0
        for vertex, (px, py) in positions.items():
            raw[vertex] = (x + px * side, y + py * side)
        width = max(width, x + side)
        x += side + gap
        row_height = max(row_height, side)
    height = y + row_height
    span = max(width, height) or 1.0
    off_x = (span - width) / 2
    off_y = (span - height) / 2
    for vertex, (px, py) in raw.items():
        placed[vertex] = (
            round(_finite((px + off_x) / span), 6),
            round(_finite((py + off_y) / span), 6),
        )
    return placed


__all__ = ["DEFAULT_MAX_NODES", "DEFAULT_SEED", "Position", "network_layout"]
