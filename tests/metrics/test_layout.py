"""The network drawing's layout: unit square, deterministic, components kept apart, top-N cut."""

import math

import networkx as nx

from metrics.compute.layout import network_layout


def _karate():
    graph = nx.karate_club_graph()
    return list(graph.nodes), [(u, v, 0.5) for u, v in graph.edges]


def test_network_layout_unit_square_and_every_node():
    nodes, edges = _karate()
    positions = network_layout(nodes, edges)
    assert set(positions) == set(nodes)
    for x, y in positions.values():
        assert 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0
        assert not math.isnan(x) and not math.isnan(y)


def test_network_layout_deterministic_whatever_the_input_order():
    nodes, edges = _karate()
    first = network_layout(nodes, edges)
    again = network_layout(list(reversed(nodes)), [(v, u, w) for u, v, w in reversed(edges)])
    assert first == again


def test_network_layout_empty_single_and_pair():
    assert network_layout([], []) == {}
    assert network_layout([7], []) == {7: (0.5, 0.5)}
    pair = network_layout([1, 2], [(1, 2, 0.3)])
    assert set(pair) == {1, 2} and pair[1] != pair[2]


def test_network_layout_ignores_bad_edges():
    positions = network_layout(
        [1, 2, 3], [(1, 1, 1.0), (1, 9, 1.0), (2, 3, 0.0), (2, 3, float("nan")), (1, 2, 0.4)]
    )
    assert set(positions) == {1, 2, 3}


def test_network_layout_isolates_do_not_overlap_the_component():
    nodes, edges = _karate()
    isolates = [100, 101, 102]
    positions = network_layout(nodes + isolates, edges)
    points = list(positions.values())
    assert len(set(points)) == len(points)


def test_network_layout_top_n_by_degree():
    star = [(0, i, 1.0) for i in range(1, 10)]
    positions = network_layout(range(20), star, max_nodes=5)
    assert len(positions) == 5
    assert 0 in positions  # the hub has the highest degree
