"""The earlier snapshots a run builds on: members' past levels, their levels elsewhere."""

from collections import Counter
from datetime import datetime

from django.db.models import OuterRef, Subquery

from communities.models import Membership
from metrics.models import Level, MemberMetrics, MetricsSnapshot
from metrics.pipeline.times import months_before

# Levels at or above occasional: a member "takes part" (boundary trajectories).
TAKING_PART = (Level.CORE, Level.ACTIVE, Level.OCCASIONAL)


def past_snapshots(community_id: int, as_of: datetime, *, count: int) -> list[MetricsSnapshot]:
    """Return up to *count* stored snapshots at monthly points before *as_of*, newest first:
    for k = 1, 2, ... the latest snapshot at or before as_of minus k calendar months."""
    candidates = list(
        MetricsSnapshot.objects.filter(
            community_id=community_id,
            as_of__lte=months_before(as_of, 1),
            as_of__gt=months_before(as_of, count + 2),
        )
        .order_by("-as_of")
        .only("pk", "as_of")
    )
    chosen: list[MetricsSnapshot] = []
    for k in range(1, count + 1):
        point = months_before(as_of, k)
        for snapshot in candidates:
            if snapshot.as_of <= point:
                if not chosen or snapshot.pk != chosen[-1].pk:
                    chosen.append(snapshot)
                break
    return chosen


def levels_of(snapshot_ids: list[int]) -> dict[int, dict[int, str]]:
    """Return each snapshot's level per member."""
    out: dict[int, dict[int, str]] = {pk: {} for pk in snapshot_ids}
    if snapshot_ids:
        for snapshot_id, user_id, level in MemberMetrics.objects.filter(
            snapshot_id__in=snapshot_ids
        ).values_list("snapshot_id", "user_id", "level"):
            out[snapshot_id][user_id] = level
    return out


def taking_part_elsewhere(community_id: int, as_of: datetime) -> dict[int, int]:
    """Return, per member of the community (anyone with a membership in it), in how many other
    communities their latest level (at or before *as_of*) is occasional or above.

    One query, restricted to the community's own members: its cost follows their rows in other
    communities' latest snapshots, not the number of communities (with 1,000 communities, an
    OR over every other community's latest snapshot cost half a second per run).
    """
    latest_elsewhere = (
        MetricsSnapshot.objects.filter(
            community_id=OuterRef("snapshot__community_id"), as_of__lte=as_of
        )
        .order_by("-as_of")
        .values("as_of")[:1]
    )
    counts: Counter[int] = Counter(
        MemberMetrics.objects.filter(
            user_id__in=Membership.objects.filter(community_id=community_id).values("user_id"),
            level__in=TAKING_PART,
            snapshot__as_of__lte=as_of,
            snapshot__as_of=Subquery(latest_elsewhere),
        )
        .exclude(snapshot__community_id=community_id)
        .values_list("user_id", flat=True)
    )
    return dict(counts)
