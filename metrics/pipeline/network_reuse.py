"""Network measures carried forward while the network barely changed.

Betweenness (n shortest-path searches) and the drawing (a force-directed layout) are most of the
network's cost on a large community, and an hour of decay or a few new interactions hardly move
them. A current run of a community of at least ``METRICS_NETWORK_REUSE_MIN_NODES`` members
therefore compares its network with the one of the snapshot whose betweenness and drawing were
last computed (the *base*): the same members, and edges (pairs with their class) differing in at
most ``METRICS_NETWORK_REUSE_TOLERANCE`` of the base's edges. Then it keeps the base's betweenness,
brokers and positions, computes everything else afresh (counts, density, clustering, k-cores,
constraint, E-I: a fraction of a second), and says so in ``data["network"]["carried_forward"]``
(the dashboard shows it). Changes are always counted against the base, never against the
previous carried-forward run, so small changes cannot add up unseen.

Beyond the tolerance, a current run (``defer=True``, unless the setting
``METRICS_NETWORK_REFRESH_IN_BACKGROUND`` is off) still carries them forward and marks the
snapshot ``refresh: "queued"``;
``metrics.pipeline.network_refresh`` then computes them in a task of its own on the metrics queue
and writes them into that snapshot. Betweenness and the drawing were about half of an incremental
run of a 10,000-member community whose ties changed by 8 %: the run no longer waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from metrics.compute.network import NetworkResult
from metrics.models import MemberMetrics, MetricsSnapshot, NetworkEdge
from metrics.pipeline.times import iso

DEFAULT_TOLERANCE = 0.02
DEFAULT_MIN_NODES = 1000
DEFAULT_REFRESH_IN_BACKGROUND = True


@dataclass(frozen=True)
class NetworkBase:
    """What a run can keep from its base snapshot."""

    snapshot: MetricsSnapshot
    changed: float  # share of the base's edges added, removed or of another class since
    betweenness: dict[int, float]
    positions: dict[int, tuple[float | None, float | None]]
    refresh: bool = False  # changed beyond the tolerance: network_refresh computes them later


def reuse_settings() -> tuple[float, int]:
    return (
        float(getattr(settings, "METRICS_NETWORK_REUSE_TOLERANCE", DEFAULT_TOLERANCE)),
        int(getattr(settings, "METRICS_NETWORK_REUSE_MIN_NODES", DEFAULT_MIN_NODES)),
    )


def refresh_in_background() -> bool:
    return bool(
        getattr(settings, "METRICS_NETWORK_REFRESH_IN_BACKGROUND", DEFAULT_REFRESH_IN_BACKGROUND)
    )


def network_base(
    *, community_id: int, as_of, member_ids: set[int], edges: list, defer: bool = False
) -> NetworkBase | None:
    """Return the base whose betweenness and drawing this run may keep, or None (compute).
    With *defer*, a base whose edges changed beyond the tolerance is returned too, marked
    ``refresh`` (the run carries it forward and a task computes the measures afterwards)."""
    tolerance, min_nodes = reuse_settings()
    if len(member_ids) < min_nodes or tolerance <= 0:
        return None
    previous = (
        MetricsSnapshot.objects.filter(community_id=community_id, as_of__lt=as_of)
        .order_by("-as_of")
        .only("pk", "as_of", "data")
        .first()
    )
    if previous is None:
        return None
    carried = ((previous.data or {}).get("network") or {}).get("carried_forward")
    base = previous
    if carried:
        base = (
            MetricsSnapshot.objects.filter(community_id=community_id, as_of=carried["from"])
            .only("pk", "as_of", "data")
            .first()
        )
        if base is None:  # pruned: compute afresh
            return None
    rows = list(
        MemberMetrics.objects.filter(snapshot=base).values_list("user_id", "betweenness", "x", "y")
    )
    if {u for u, *_ in rows} != member_ids:
        return None
    before = {
        (a, b): c
        for a, b, c in NetworkEdge.objects.filter(snapshot=base).values_list(
            "user_a_id", "user_b_id", "tie_class"
        )
    }
    now = {(t.a, t.b): t.tie_class for t in edges}
    differing = sum(1 for key, c in now.items() if before.get(key) != c) + sum(
        1 for key in before if key not in now
    )
    changed = differing / max(len(before), 1)
    if changed > tolerance and not defer:
        return None
    return NetworkBase(
        snapshot=base,
        changed=changed,
        betweenness={u: b for u, b, _, _ in rows},
        positions={u: (x, y) for u, _, x, y in rows},
        refresh=changed > tolerance,
    )


def carry_forward(network: NetworkResult, base: NetworkBase) -> NetworkResult:
    """Return *network* (computed without betweenness) with the base's betweenness, brokers
    and a note of where they come from."""
    tolerance, _ = reuse_settings()
    base_network = (base.snapshot.data or {}).get("network") or {}
    summary = dict(network.summary)
    for key in ("betweenness_exact", "betweenness_samples", "top_brokers"):
        summary[key] = base_network.get(key)
    summary["carried_forward"] = {
        "from": iso(base.snapshot.as_of),
        "edges_changed": base.changed,
        "tolerance": tolerance,
        "measures": ["betweenness", "top_brokers", "layout"],
    }
    if base.refresh:
        summary["carried_forward"]["refresh"] = "queued"
    members = {
        u: type(p)(p.degree, p.strength, base.betweenness.get(u, 0.0), p.core, p.constraint, p.ei)
        for u, p in network.members.items()
    }
    return NetworkResult(summary, members)
