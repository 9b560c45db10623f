"""Stored metrics for dashboard tests, written straight into the tables per the snapshot schema
(the pages only read them). Network figures are computed with networkx from the same ties, so
the rows are consistent with each other."""

from __future__ import annotations

import random
from datetime import timedelta

import networkx as nx
from django.utils import timezone

from communities.models import Membership, ProfessionalGroup, Profile
from metrics.compute.layout import network_layout
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, TieStrength
from tests.factories import UserFactory

LEVELS = ("core", "active", "occasional", "peripheral", "dormant")


def make_members(community, count: int, *, groups: int = 3, prefix: str = "m") -> list:
    """*count* active members spread over *groups* professional groups (bulk, fast)."""
    group_rows = [
        ProfessionalGroup.objects.get_or_create(slug=f"grp-{i}", defaults={"name": f"Group {i}"})[0]
        for i in range(groups)
    ]
    users = []
    for i in range(count):
        user = UserFactory(username=f"{prefix}{community.pk}-{i}")
        users.append(user)
    Membership.objects.bulk_create(
        [Membership(community=community, user=u, state=Membership.State.ACTIVE) for u in users]
    )
    for i, user in enumerate(users):
        Profile.objects.filter(user=user).update(
            display_name=f"Person {i}", professional_group=group_rows[i % groups]
        )
    return users


def _tie_pairs(user_ids: list[int], rng: random.Random) -> list[tuple[int, int, float]]:
    """A ring plus random chords: connected, some triangles, a spread of scores."""
    n = len(user_ids)
    pairs = {}
    for i in range(n - 1):
        pairs[(i, i + 1)] = rng.uniform(0.1, 0.9)
    for _ in range(n):
        i, j = sorted(rng.sample(range(n), 2)) if n > 1 else (0, 0)
        if i != j:
            pairs.setdefault((i, j), rng.uniform(0.0, 0.8))
    return [(user_ids[i], user_ids[j], s) for (i, j), s in sorted(pairs.items())]


def write_snapshot(community, users, *, seed: int = 1, as_of=None, history: int = 0, state=True):
    """Write a snapshot (and *history* older ones) with member rows and the tie table."""
    rng = random.Random(seed)
    now = as_of or timezone.now()
    ids = sorted(u.pk for u in users)
    groups = dict(
        Profile.objects.filter(user_id__in=ids).values_list("user_id", "professional_group_id")
    )
    group_names = dict(ProfessionalGroup.objects.values_list("id", "name"))
    ties = _tie_pairs(ids, rng) if len(ids) > 1 else []
    TieStrength.objects.filter(community=community).delete()
    TieStrength.objects.bulk_create(
        [
            TieStrength(
                community=community,
                user_a_id=a,
                user_b_id=b,
                units_ab=2**40,
                units_ba=2**39,
                first_at=now - timedelta(days=200),
                last_at=now - timedelta(days=3),
                score=s,
                reciprocity=0.67,
                multiplexity=2 / 6,
                duration=0.55,
                tie_class="strong" if s >= 0.5 else "weak" if s >= 0.1 else "latent",
            )
            for a, b, s in ties
        ]
    )
    edges = [(a, b, s) for a, b, s in ties if s >= 0.1]
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_weighted_edges_from(edges)
    for a, b, s in edges:
        graph[a][b]["distance"] = 1 / s
    betweenness = nx.betweenness_centrality(graph, weight="distance") if ids else {}
    positions = network_layout(ids, edges)
    n = graph.number_of_nodes()
    components = list(nx.connected_components(graph))
    top = sorted(ids, key=lambda u: (-betweenness.get(u, 0), u))[:10]
    network = {
        "nodes": n,
        "edges": graph.number_of_edges(),
        "density": nx.density(graph) if n > 1 else 0.0,
        "average_degree": (2 * graph.number_of_edges() / n) if n else 0.0,
        "reciprocity": 0.4,
        "transitivity": nx.transitivity(graph),
        "average_clustering": nx.average_clustering(graph) if n else 0.0,
        "components": len(components),
        "isolates": nx.number_of_isolates(graph),
        "giant_component_share": (max(len(c) for c in components) / n) if n else 0.0,
        "betweenness_exact": True,
        "betweenness_samples": None,
        "ei_index": -0.1,
        "ei_baseline": 0.2,
        "ei_by_group": dict.fromkeys(group_names.values(), 0.0),
        "top_brokers": [
            {
                "user_id": u,
                "betweenness": betweenness.get(u, 0.0),
                "degree": graph.degree(u),
                "group": group_names.get(groups.get(u)),
            }
            for u in top
        ],
    }
    levels_of = {u: LEVELS[i % len(LEVELS)] for i, u in enumerate(ids)}
    snapshots = []
    for back in range(history, -1, -1):
        moment = now - timedelta(days=30 * back)
        data = _data(moment, ids, levels_of, ties, network, rng)
        snapshot = MetricsSnapshot.objects.create(
            community=community,
            as_of=moment,
            computed_at=moment + timedelta(seconds=3),
            duration_ms=1234,
            config={"network_min_score": 0.1},
            data=data,
        )
        MemberMetrics.objects.bulk_create(
            [
                MemberMetrics(
                    snapshot=snapshot,
                    user_id=u,
                    level=levels_of[u] if back == 0 else LEVELS[(i + back) % len(LEVELS)],
                    previous_level=LEVELS[(i + 1) % len(LEVELS)],
                    trajectory=("inbound", "outbound", "", "insider", "")[i % 5],
                    active_days=i % 30,
                    helps=i % 7,
                    contributions=i % 11,
                    strong_ties=sum(1 for a, b, s in ties if s >= 0.5 and u in (a, b)),
                    weak_ties=sum(1 for a, b, s in ties if 0.1 <= s < 0.5 and u in (a, b)),
                    degree=graph.degree(u),
                    strength=float(graph.degree(u, weight="weight")),
                    betweenness=betweenness.get(u, 0.0),
                    professional_group_id=groups.get(u),
                    x=positions.get(u, (None, None))[0],
                    y=positions.get(u, (None, None))[1],
                )
                for i, u in enumerate(ids)
            ]
        )
        snapshots.append(snapshot)
    if state:
        MetricsState.objects.update_or_create(
            community=community,
            defaults={"finished_at": now + timedelta(seconds=3), "started_at": now},
        )
    return snapshots[-1]


def _data(moment, ids, levels_of, ties, network, rng):
    counts = {level: sum(1 for v in levels_of.values() if v == level) for level in LEVELS}
    window = {
        "members_total": len(ids),
        "members_active": counts["core"] + counts["active"],
        "members_new": 2,
        "posts": 40,
        "questions_asked": 12,
        "questions_answered": 10,
        "questions_solved": 6,
        "response_rate_48h": 0.75,
        "ttfr_hours": {"median": rng.uniform(2, 20), "p90": rng.uniform(20, 60), "count": 10},
        "ttfr_by_moderators": {"median": 3.0, "p90": 9.0, "count": 4},
        "ttfr_by_members": {"median": 6.5, "p90": None, "count": 6},
        "unanswered_over_48h": 2,
        "gini_posts": 0.42,
        "gini_includes_zero": False,
        "top10_share": 0.35,
        "top1_share": 0.08,
        "contributor_absence_factor": 3,
        "repertoire_new": 1,
        "repertoire_total": 9,
        "worked_reports": 4,
        "used_reports": 2,
    }
    weeks = []
    for w in range(26):
        start = (moment - timedelta(weeks=25 - w)).date()
        start -= timedelta(days=start.weekday())
        weeks.append({"week_start": start.isoformat(), "posts": rng.randint(0, 30)})
    strong = sum(1 for *_, s in ties if s >= 0.5)
    weak = sum(1 for *_, s in ties if 0.1 <= s < 0.5)
    return {
        "schema": "practica.metrics/1",
        "as_of": moment.isoformat(),
        "computed_at": moment.isoformat(),
        "duration_ms": 1234,
        "windows": {str(d): dict(window, days=d) for d in (7, 30, 90)},
        "posts_per_week": weeks,
        "levels": counts,
        "transitions": {
            "from_as_of": (moment - timedelta(days=30)).isoformat(),
            "matrix": {a: {b: (1 if a == b else 0) for b in LEVELS} for a in LEVELS},
            "moved_up": 3,
            "held": 10,
            "moved_down": 2,
            "joined": 1,
        },
        "trajectories": {"inbound": 2, "insider": 3, "peripheral": 4, "outbound": 1, "boundary": 0},
        "newcomer_retention": 0.5,
        "ties": {
            "pairs": len(ties),
            "strong": strong,
            "weak": weak,
            "latent": len(ties) - strong - weak,
            "strong_share": strong / len(ties) if ties else None,
            "strong_threshold": 0.5,
            "weak_threshold": 0.1,
        },
        "network": network,
        "spectrum": {
            "indicators": {
                "strong_share": {"value": 0.2, "score": 0.6},
                "reciprocity": {"value": 0.4, "score": 0.75},
                "transitivity": {"value": network["transitivity"], "score": 0.3},
                "multiplexity": {"value": 0.3, "score": 0.57},
                "repeat_pairs": {"value": None, "score": None},
                "continuity": {"value": 0.5, "score": 0.75},
            },
            "score": 0.59,
            "label": "in between",
        },
        "at_risk_questions": [
            {"thread_id": 999999, "title": "Wound <b>dressing</b>?", "age_hours": 72.5}
        ],
    }
