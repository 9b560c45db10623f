"""Network measures against networkx (the oracle) on the reference graphs of the metrics guide."""

import math
import random
from fractions import Fraction

import networkx as nx
import pytest
from networkx.algorithms import bipartite

from metrics.compute.config import MetricsConfig
from metrics.compute.network import ei_baseline, network_measures
from metrics.compute.ties import TieScore, classify, pair_states, score_all

CONFIG = MetricsConfig()


def tie(a, b, score, i_ab=1.0, i_ba=1.0):
    """Return a tie with the given score and directed intensities (other parts irrelevant here)."""
    a, b, i_ab, i_ba = (a, b, i_ab, i_ba) if a < b else (b, a, i_ba, i_ab)
    return TieScore(
        a, b, score, classify(score, CONFIG), 0.0, 0.0, 0.0, 0.0, i_ab, i_ba, False, False
    )


def oracle_graph(nodes, ties, config=CONFIG):
    """Return networkx's undirected graph (score, distance) and directed graph of the same ties.

    Distances are exact fractions: networkx compares path lengths with ``==``, so 1/0.3 + 1/0.6
    and 1/0.2 would differ in floating point; igraph compares with a tolerance, as it should.
    """
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    directed = nx.DiGraph()
    directed.add_nodes_from(nodes)
    for t in ties:
        if t.score >= config.network_min_score:
            distance = 1 / Fraction(t.score).limit_denominator(10**9)
            graph.add_edge(t.a, t.b, score=t.score, distance=distance)
            if t.i_ab > 0:
                directed.add_edge(t.a, t.b)
            if t.i_ba > 0:
                directed.add_edge(t.b, t.a)
    return graph, directed


def oracle_ei(graph, groups):
    """Return the E-I index, by group and by member, counted edge by edge."""
    ext = internal = 0
    by_group, by_member = {}, {}
    for u, v in graph.edges():
        gu, gv = groups.get(u), groups.get(v)
        if gu is None or gv is None:
            continue
        if gu == gv:
            internal += 1
            by_group.setdefault(gu, [0, 0])[1] += 1
            for w in (u, v):
                by_member.setdefault(w, [0, 0])[1] += 1
        else:
            ext += 1
            for g in (gu, gv):
                by_group.setdefault(g, [0, 0])[0] += 1
            for w in (u, v):
                by_member.setdefault(w, [0, 0])[0] += 1
    index = (ext - internal) / (ext + internal) if ext + internal else None
    return (
        index,
        {g: (e - i) / (e + i) for g, (e, i) in by_group.items()},
        {w: (e - i) / (e + i) for w, (e, i) in by_member.items()},
    )


def assert_matches_networkx(nodes, ties, groups, config=CONFIG):
    """Compute our measures and check every one against networkx."""
    result = network_measures(members=nodes, ties=ties, groups=groups, config=config)
    graph, directed = oracle_graph(nodes, ties, config)
    s = result.summary
    n = graph.number_of_nodes()
    assert s["nodes"] == n
    assert s["edges"] == graph.number_of_edges()
    assert s["density"] == pytest.approx(nx.density(graph))
    assert s["average_degree"] == pytest.approx(2 * graph.number_of_edges() / n)
    if directed.number_of_edges():
        assert s["reciprocity"] == pytest.approx(nx.overall_reciprocity(directed))
    assert s["transitivity"] == pytest.approx(nx.transitivity(graph))
    assert s["average_clustering"] == pytest.approx(nx.average_clustering(graph))
    components = list(nx.connected_components(graph))
    assert s["components"] == len(components)
    assert s["isolates"] == nx.number_of_isolates(graph)
    assert s["giant_component_share"] == pytest.approx(max(map(len, components)) / n)
    core = nx.core_number(graph)
    assert s["max_core"] == max(core.values())
    betweenness = nx.betweenness_centrality(graph, weight="distance")
    constraint = nx.constraint(graph, weight="score")
    strength = dict(graph.degree(weight="score"))
    for u in nodes:
        pos = result.members[u]
        assert pos.degree == graph.degree(u)
        assert pos.strength == pytest.approx(strength[u])
        assert pos.core == core[u]
        assert pos.betweenness == pytest.approx(betweenness[u], abs=1e-12)
        if math.isnan(constraint[u]):
            assert pos.constraint is None
        else:
            assert pos.constraint == pytest.approx(constraint[u])
    ei, ei_groups, ei_members = oracle_ei(graph, groups)
    assert s["ei_index"] == pytest.approx(ei)
    assert s["ei_by_group"] == pytest.approx(ei_groups)
    for u in nodes:
        assert result.members[u].ei == pytest.approx(ei_members.get(u))
    assert s["betweenness_exact"] is True
    expected_top = sorted((u for u in nodes if betweenness[u] > 0), key=lambda u: -betweenness[u])
    assert [b["user_id"] for b in s["top_brokers"]] == expected_top[: config.top_brokers]
    return result


@pytest.fixture
def karate():
    """Return Zachary's karate club: nodes, ties (score from the interaction counts), groups."""
    graph = nx.karate_club_graph()
    ties = []
    for u, v, data in graph.edges(data=True):
        # Interaction counts 1..7 become scores 0.1..0.7; every third pair is one-way.
        ties.append(tie(u, v, data["weight"] / 10, 1.0, 0.0 if (u + v) % 3 == 0 else 1.0))
    groups = {u: graph.nodes[u]["club"] for u in graph}
    return list(graph), ties, groups


def test_network_karate_matches_networkx(karate):
    nodes, ties, groups = karate
    result = assert_matches_networkx(nodes, ties, groups)
    # The guide's reference point: transitivity 0.256 at density 0.139.
    assert result.summary["transitivity"] == pytest.approx(0.2557, abs=1e-4)
    assert result.summary["density"] == pytest.approx(0.1390, abs=1e-4)
    # Two clubs of 17: P_ext = 17·17 = 289, P_int = 2·(17·16/2) = 272 → (289 − 272)/561.
    assert result.summary["ei_baseline"] == pytest.approx(17 / 561)


def test_network_karate_weights_are_distances(karate):
    """Betweenness uses 1/S: a strong detour beats a weak direct path, as in networkx."""
    nodes, ties, groups = karate
    result = network_measures(members=nodes, ties=ties, groups=groups, config=CONFIG)
    graph, _ = oracle_graph(nodes, ties)
    wrong = nx.betweenness_centrality(graph, weight="score")
    right = nx.betweenness_centrality(graph, weight="distance")
    ours = {u: p.betweenness for u, p in result.members.items()}
    assert ours == pytest.approx(right)
    assert ours != pytest.approx(wrong)


def test_network_florentine_matches_networkx():
    graph = nx.florentine_families_graph()
    names = sorted(graph)
    ids = {name: i + 1 for i, name in enumerate(names)}
    ties = [tie(ids[u], ids[v], 0.5) for u, v in graph.edges()]
    result = assert_matches_networkx(list(ids.values()), ties, {})
    assert result.summary["nodes"] == 15
    assert result.summary["edges"] == 20
    assert result.summary["ei_index"] is None
    # The Medici are the broker of the Florentine families.
    assert result.summary["top_brokers"][0]["user_id"] == ids["Medici"]


def test_network_with_isolates_and_ungrouped_members(karate):
    nodes, ties, groups = karate
    groups = {u: g for u, g in groups.items() if u % 5}  # some members have no group
    assert_matches_networkx(nodes + [100, 101, 102], ties, groups)


def test_network_davis_co_attendance_split_and_measures():
    """Co-attendance folded from the log: pair weight = Newman's Σ 1/(n−1), per direction half."""
    graph = nx.davis_southern_women_graph()
    women = sorted(n for n, d in graph.nodes(data=True) if d["bipartite"] == 0)
    events = sorted(n for n, d in graph.nodes(data=True) if d["bipartite"] == 1)
    ids = {w: i + 1 for i, w in enumerate(women)}
    as_of = 1_700_000_000.0
    rows = []
    for event in events:
        present = [ids[w] for w in graph[event]]
        for u in present:
            for v in present:
                if u != v:
                    rows.append((u, v, "co_attendance", as_of, len(present)))
    states = pair_states(rows, config=CONFIG)
    newman = bipartite.collaboration_weighted_projected_graph(graph, women)
    assert len(states) == newman.number_of_edges()
    for u, v, data in newman.edges(data=True):
        state = states[tuple(sorted((ids[u], ids[v])))]
        # weight 2 per co-attendance, split w/(n−1) over the pair, half in each direction.
        assert state.i_ab == pytest.approx(2 * data["weight"] / 2)
        assert state.i_ba == pytest.approx(state.i_ab)
    ties = score_all(states.values(), as_of=as_of, config=CONFIG)
    assert_matches_networkx(list(ids.values()), ties, {})


def test_network_sampled_betweenness_is_scaled_subset_betweenness(karate):
    nodes, ties, groups = karate
    config = MetricsConfig(betweenness_exact_max_nodes=10, betweenness_samples=12)
    result = network_measures(members=nodes, ties=ties, groups=groups, config=config)
    assert result.summary["betweenness_exact"] is False
    assert result.summary["betweenness_samples"] == 12
    graph, _ = oracle_graph(nodes, ties)
    n, k = 34, 12
    pivots = random.Random(config.betweenness_seed).sample(range(n), k)  # node i has index i
    subset = nx.betweenness_centrality_subset(
        graph, sources=pivots, targets=list(graph), weight="distance"
    )
    for u in nodes:
        expected = subset[u] * n / k * 2 / ((n - 1) * (n - 2))
        assert result.members[u].betweenness == pytest.approx(expected, abs=1e-12)


def test_network_sampled_betweenness_close_to_exact(karate):
    nodes, ties, groups = karate
    exact = network_measures(members=nodes, ties=ties, groups=groups, config=CONFIG)
    config = MetricsConfig(betweenness_exact_max_nodes=10, betweenness_samples=33)
    sampled = network_measures(members=nodes, ties=ties, groups=groups, config=config)
    # 33 of 34 pivots: the estimate is close to the exact value and finds the same top brokers.
    top = [b["user_id"] for b in exact.summary["top_brokers"][:3]]
    assert {b["user_id"] for b in sampled.summary["top_brokers"][:3]} == set(top)
    assert sampled.summary["top_brokers"][0]["user_id"] == top[0]
    for u in nodes:
        assert sampled.members[u].betweenness == pytest.approx(
            exact.members[u].betweenness, abs=0.03
        )


def test_network_as_many_pivots_as_nodes_is_exact(karate):
    nodes, ties, groups = karate
    exact = network_measures(members=nodes, ties=ties, groups=groups, config=CONFIG)
    config = MetricsConfig(betweenness_exact_max_nodes=10, betweenness_samples=34)
    result = network_measures(members=nodes, ties=ties, groups=groups, config=config)
    assert result.summary["betweenness_exact"] is True
    assert result.members == exact.members


def test_network_empty_and_tiny_graphs():
    empty = network_measures(members=[], ties=[], groups={}, config=CONFIG)
    assert empty.summary["nodes"] == 0
    assert empty.summary["reciprocity"] is None
    one = network_measures(members=[7], ties=[], groups={7: "a"}, config=CONFIG)
    assert one.summary["isolates"] == 1
    assert one.members[7].betweenness == 0.0
    assert one.members[7].constraint is None
    # A latent tie is no edge; a tie to a non-member is left out.
    two = network_measures(
        members=[1, 2], ties=[tie(1, 2, 0.05), tie(1, 3, 0.9)], groups={}, config=CONFIG
    )
    assert two.summary["edges"] == 0


def test_ei_baseline_formula():
    # groups of 3, 2, 1: P_ext = 3·2 + 3·1 + 2·1 = 11, P_int = 3 + 1 + 0 = 4 → 7/15.
    assert ei_baseline(["a"] * 3 + ["b"] * 2 + ["c"] + [None]) == pytest.approx(7 / 15)
    assert ei_baseline([]) is None
