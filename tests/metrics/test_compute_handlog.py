"""A small interaction log replayed through the pure computation; every number worked by hand.

As of T = 2024-07-01 00:00 UTC, with the default config (half-life 90 days, κ = 4). The events sit
0, 90 or 180 days before T so the decay factors are 1, 1/2 and 1/4.

Members: 1 Ana (nurse), 2 Ben (nurse), 3 Cy (physician), 4 Dee (physician).
  T − 180 d (2024-01-03): Ben answers Ana's question (2 → 1, answer, w 2);
                          Ana accepts it (1 → 2, accept, w 3).
  T − 90 d  (2024-04-02): Ana replies to Ben (1 → 2, reply, w 1);
                          Ana, Ben and Cy attend an event (co-attendance, n = 3: every directed row
                          weighs 2 / (2·(3 − 1)) = 0.5).
  T         (2024-07-01): Cy mentions Ana (3 → 1, mention, w 0.5); Dee votes for Cy (4 → 3, 0.25).
"""

import math

import pytest

from metrics.compute.config import MetricsConfig
from metrics.compute.network import network_measures
from metrics.compute.participation import continuity
from metrics.compute.spectrum import mean_multiplexity, repeat_pair_rate, spectrum
from metrics.compute.ties import DAY, pair_states, score_all, tie_summary

CONFIG = MetricsConfig()
T = 1_719_792_000.0  # 2024-07-01 00:00 UTC
LOG = [
    (2, 1, "answer", T - 180 * DAY, 2),
    (1, 2, "accept", T - 180 * DAY, 2),
    (1, 2, "reply", T - 90 * DAY, 2),
    *[(u, v, "co_attendance", T - 90 * DAY, 3) for u in (1, 2, 3) for v in (1, 2, 3) if u != v],
    (3, 1, "mention", T, 2),
    (4, 3, "vote", T, 2),
]
GROUPS = {1: "nurse", 2: "nurse", 3: "physician", 4: "physician"}


@pytest.fixture
def ties():
    states = pair_states(LOG, config=CONFIG)
    return {(t.a, t.b): t for t in score_all(states.values(), as_of=T, config=CONFIG)}


def test_handlog_pair_ana_ben(ties):
    t = ties[(1, 2)]
    # I(1→2) = accept 3·¼ + reply 1·½ + event 0.5·½ = 0.75 + 0.5 + 0.25 = 1.5
    # I(2→1) = answer 2·¼ + event 0.5·½ = 0.5 + 0.25 = 0.75
    assert (t.i_ab, t.i_ba) == pytest.approx((1.5, 0.75))
    # F = 1 − e^(−2.25/4) = 1 − e^(−0.5625) = 1 − 0.569783 = 0.430217
    assert t.intensity == pytest.approx(1 - math.exp(-0.5625))
    assert t.intensity == pytest.approx(0.430217, abs=1e-6)
    # R = 2·0.75 / 2.25 = 2/3
    assert t.reciprocity == pytest.approx(2 / 3)
    # channels in the last year: qa (answer, accept), discussion (reply), event → 3/6
    assert t.multiplexity == pytest.approx(0.5)
    # D = (T−90 d − (T−180 d)) / 365 d = 90/365 = 0.246575
    assert t.duration == pytest.approx(90 / 365)
    # F_r = 1 − e^(−2·0.75/4) = 1 − e^(−0.375) = 1 − 0.687289 = 0.312711
    # S = 0.430217·(0.3 + 0.2·0.5 + 0.2·0.246575) + 0.3·0.312711
    #   = 0.430217·0.449315 + 0.093813 = 0.193303 + 0.093813 = 0.287117 → weak
    assert t.score == pytest.approx(0.287117, abs=1e-6)
    assert t.tie_class == "weak"
    # months with contact: January and April 2024; the last 6 months are February–July:
    # April only → recent, not a repeat pair.
    assert (t.recent, t.repeat) == (True, False)


def test_handlog_pair_ana_cy(ties):
    t = ties[(1, 3)]
    # I(1→3) = event 0.5·½ = 0.25; I(3→1) = event 0.25 + mention 0.5·1 = 0.75
    assert (t.i_ab, t.i_ba) == pytest.approx((0.25, 0.75))
    # F = 1 − e^(−1/4) = 0.221199; F_r = 1 − e^(−0.5/4) = 1 − e^(−0.125) = 0.117503
    assert t.intensity == pytest.approx(0.221199, abs=1e-6)
    # R = 2·0.25/1 = 0.5; channels event + mention → 2/6; D = 90/365
    assert t.reciprocity == pytest.approx(0.5)
    assert t.multiplexity == pytest.approx(1 / 3)
    assert t.duration == pytest.approx(90 / 365)
    # S = 0.221199·(0.3 + 0.066667 + 0.049315) + 0.3·0.117503
    #   = 0.221199·0.415982 + 0.035251 = 0.092015 + 0.035251 = 0.127266 → weak
    assert t.score == pytest.approx(0.127266, abs=1e-6)
    assert t.tie_class == "weak"
    # contact in April and July → a repeat pair
    assert (t.recent, t.repeat) == (True, True)


def test_handlog_pairs_ben_cy_and_cy_dee(ties):
    ben_cy = ties[(2, 3)]
    # event only: 0.25 each way; F = F_r = 1 − e^(−0.125) = 0.117503; M = 1/6, D = 0
    # S = 0.117503·(0.3 + 0.033333) + 0.3·0.117503 = 0.117503·0.633333 = 0.074419 → latent
    assert (ben_cy.i_ab, ben_cy.i_ba) == pytest.approx((0.25, 0.25))
    assert ben_cy.score == pytest.approx(0.074419, abs=1e-6)
    assert ben_cy.tie_class == "latent"
    cy_dee = ties[(3, 4)]
    # vote 4 → 3 today: I = 0.25 one way; F = 1 − e^(−0.0625) = 0.060587; F_r = 0
    # S = 0.060587·(0.3 + 0.033333) = 0.020196 → latent
    assert (cy_dee.i_ab, cy_dee.i_ba) == pytest.approx((0.0, 0.25))
    assert cy_dee.score == pytest.approx(0.020196, abs=1e-6)
    assert cy_dee.reciprocity == 0.0


def test_handlog_tie_summary(ties):
    summary = tie_summary(list(ties.values()), CONFIG)
    # 4 pairs: weak (1,2) and (1,3), latent (2,3) and (3,4); strong share 0/2
    assert summary["pairs"] == 4
    assert (summary["strong"], summary["weak"], summary["latent"]) == (0, 2, 2)
    assert summary["strong_share"] == 0.0


def test_handlog_network(ties):
    net = network_measures(members=[1, 2, 3, 4], ties=ties.values(), groups=GROUPS, config=CONFIG)
    s = net.summary
    # edges with S ≥ 0.1: 1–2 and 1–3
    assert (s["nodes"], s["edges"]) == (4, 2)
    assert s["density"] == pytest.approx(2 * 2 / (4 * 3))  # 1/3
    assert s["average_degree"] == 1.0  # 2·2/4
    assert s["reciprocity"] == 1.0  # both ties used both ways: 4 arcs, all reciprocated
    assert s["transitivity"] == 0.0  # no triangle
    assert s["average_clustering"] == 0.0
    assert (s["components"], s["isolates"]) == (2, 1)  # {1, 2, 3} and {4}
    assert s["giant_component_share"] == 0.75
    # Ana is on the only shortest path 2–1–3: raw 1, normalised 1 · 2/((4−1)(4−2)) = 1/3
    assert net.members[1].betweenness == pytest.approx(1 / 3)
    assert net.members[2].betweenness == 0.0
    assert s["top_brokers"] == [
        {"user_id": 1, "betweenness": pytest.approx(1 / 3), "degree": 2, "group": "nurse"}
    ]
    # E-I: 1–2 internal (nurses), 1–3 external → (1 − 1)/2 = 0
    assert s["ei_index"] == 0.0
    # groups of 2 and 2: P_ext = 4, P_int = 1 + 1 = 2 → (4 − 2)/6 = 1/3
    assert s["ei_baseline"] == pytest.approx(1 / 3)
    # nurse: 1 external, 1 internal → 0; physician: 1 external → 1
    assert s["ei_by_group"] == {"nurse": 0.0, "physician": 1.0}
    assert (net.members[1].ei, net.members[2].ei, net.members[3].ei) == (0.0, -1.0, 1.0)
    assert net.members[4].ei is None
    # strength = sum of scores: Ana 0.287117 + 0.127266 = 0.414383
    assert net.members[1].strength == pytest.approx(0.414383, abs=1e-6)
    assert [net.members[u].core for u in (1, 2, 3, 4)] == [1, 1, 1, 0]


def test_handlog_spectrum(ties):
    scores = list(ties.values())
    # mean multiplexity of the two weak ties: (1/2 + 1/3)/2 = 5/12 = 0.416667
    assert mean_multiplexity(scores) == pytest.approx(5 / 12)
    # repeat pairs: 1 (Ana–Cy) of 4 recent pairs = 0.25
    assert repeat_pair_rate(scores) == 0.25
    # contributors now {1, 2, 3}, before {1, 2}: continuity 2/3
    kept = continuity({1, 2, 3}, {1, 2})
    assert kept == pytest.approx(2 / 3)
    result = spectrum(
        strong_share=0.0,
        reciprocity=1.0,
        transitivity=0.0,
        density=1 / 3,
        multiplexity=5 / 12,
        repeat_pairs=0.25,
        continuity=kept,
        config=CONFIG,
    )
    scores_by_name = {name: item["score"] for name, item in result["indicators"].items()}
    assert scores_by_name == pytest.approx(
        {
            "strong_share": 0.0,  # 0 ≤ 0.05
            "reciprocity": 1.0,  # 1 ≥ 0.5
            "transitivity": 0.0,  # 0 ≤ 0.05
            "multiplexity": 1.0,  # 0.4167 ≥ 0.4
            "repeat_pairs": 0.5,  # (0.25 − 0.1)/(0.4 − 0.1)
            "continuity": 1.0,  # 0.667 ≥ 0.6
        }
    )
    # mean (0 + 1 + 0 + 1 + 0.5 + 1)/6 = 3.5/6 = 0.583333: between 1/3 and 2/3
    assert result["score"] == pytest.approx(3.5 / 6)
    assert result["label"] == "in between"
