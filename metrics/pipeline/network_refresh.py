"""The network measures an incremental run carried forward beyond the tolerance, computed
afterwards in a task of their own (``metrics.refresh_network``, on the metrics queue).

A run marks such a snapshot ``data["network"]["carried_forward"]["refresh"] = "queued"``
(``network_reuse``) and enqueues this once it is stored. The refresh reads what the run stored
(member rows and network edges, in the order the run built them), computes betweenness, the
brokers and the drawing exactly as the run would have, and writes them into the snapshot with the
trajectories that depend on who is a broker: afterwards the snapshot reads as if the run had
computed them itself. It refreshes only the community's latest snapshot and only while that is
still the one it read (a newer run, or a run replacing it, wins).
"""

from __future__ import annotations

from django.db import connection, transaction

from communities.models import ProfessionalGroup
from metrics.compute.levels import brokers, trajectory_counts
from metrics.compute.network import network_measures
from metrics.compute.ties import TieScore
from metrics.conf import metrics_config
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, NetworkEdge
from metrics.pipeline.run import history_at, json_safe, layout_of, trajectory_of

NETWORK_REFRESH_TASK = "metrics.refresh_network"
_MEMBER_FIELDS = ("betweenness", "x", "y", "trajectory")


def queued(snapshot: MetricsSnapshot | None) -> bool:
    """Return whether *snapshot* waits for its network measures."""
    network = ((snapshot.data or {}) if snapshot else {}).get("network") or {}
    return (network.get("carried_forward") or {}).get("refresh") == "queued"


def network_refresh(*, community_id: int) -> MetricsSnapshot | None:
    """Compute the network measures the latest snapshot carried forward, and store them in it;
    return the snapshot, or None when there was nothing to do."""
    snapshot = (
        MetricsSnapshot.objects.filter(community_id=community_id)
        .order_by("-as_of")
        .only("pk", "as_of", "computed_at", "data")
        .first()
    )
    if not queued(snapshot):
        return None
    config = metrics_config()
    rows = list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values_list("user_id", "level", "trajectory", "betweenness", "professional_group_id")
    )
    group_names = dict(ProfessionalGroup.objects.values_list("pk", "name"))
    edges = [
        TieScore(a, b, score, tie_class, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, False)
        for a, b, score, tie_class in NetworkEdge.objects.filter(snapshot=snapshot)
        .order_by("user_a_id", "user_b_id")
        .values_list("user_a_id", "user_b_id", "score", "tie_class")
    ]
    member_ids = {u for u, *_ in rows}
    # The run's own call, with the groups its members had (the rows keep each member's group).
    network = network_measures(
        members=member_ids,
        ties=edges,
        groups={u: group_names.get(g) for u, *_, g in rows},
        config=config,
        with_constraint=False,
    )
    ei = {u: p.ei for u, p in network.members.items()}
    carried_brokers = brokers({u: b for u, _, _, b, _ in rows}, ei, config=config)
    fresh_brokers = brokers(
        {u: p.betweenness for u, p in network.members.items()}, ei, config=config
    )
    changed = carried_brokers ^ fresh_brokers
    history = history_at(community_id, snapshot.as_of, config) if changed else None
    trajectories = {
        u: trajectory_of(u, level, history, broker=u in fresh_brokers, config=config)
        if u in changed
        else stored
        for u, level, stored, _, _ in rows
    }
    positions = layout_of(member_ids, edges, config)

    data = dict(snapshot.data)
    summary = dict(data["network"])
    for key in ("betweenness_exact", "betweenness_samples", "top_brokers"):
        summary[key] = network.summary[key]
    summary.pop("carried_forward")
    data["network"] = summary
    data["trajectories"] = trajectory_counts(trajectories)
    data = json_safe(data)
    updates = [
        (u, network.members[u].betweenness, *positions.get(u, (None, None)), trajectories[u])
        for u in sorted(member_ids)
    ]
    with transaction.atomic():
        MetricsState.objects.select_for_update().filter(community_id=community_id).first()
        current = (
            MetricsSnapshot.objects.filter(pk=snapshot.pk)
            .values_list("computed_at", flat=True)
            .first()
        )
        if current != snapshot.computed_at:
            return None  # replaced (or pruned) while this computed: its own run decides
        _update_member_rows(snapshot.pk, updates)
        MetricsSnapshot.objects.filter(pk=snapshot.pk).update(
            data=data, betweenness_exact=bool(summary.get("betweenness_exact", True))
        )
    snapshot.data = data
    return snapshot


def _update_member_rows(snapshot_id: int, updates: list[tuple]) -> None:
    """Write betweenness, position and trajectory of each member row: one UPDATE from arrays
    on PostgreSQL, else bulk_update."""
    if not updates:
        return
    users, between, xs, ys, trajectories = (list(column) for column in zip(*updates, strict=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {MemberMetrics._meta.db_table} m
                    SET betweenness = u.betweenness, x = u.x, y = u.y, trajectory = u.trajectory
                    FROM (SELECT unnest(%s::bigint[]) AS user_id,
                                 unnest(%s::float8[]) AS betweenness,
                                 unnest(%s::float8[]) AS x, unnest(%s::float8[]) AS y,
                                 unnest(%s::varchar[]) AS trajectory) u
                    WHERE m.snapshot_id = %s AND m.user_id = u.user_id""",
                [users, between, xs, ys, trajectories, snapshot_id],
            )
        return
    rows = {
        row.user_id: row
        for row in MemberMetrics.objects.filter(snapshot_id=snapshot_id).only("pk", "user_id")
    }
    for user_id, b, x, y, t in updates:
        row = rows[user_id]
        row.betweenness, row.x, row.y, row.trajectory = b, x, y, t
    MemberMetrics.objects.bulk_update(list(rows.values()), _MEMBER_FIELDS, batch_size=500)
