"""The earlier snapshots a run builds on: members' levels in other communities."""

from datetime import timedelta

import pytest

from metrics.models import MemberMetrics, MetricsSnapshot
from metrics.pipeline.history import taking_part_elsewhere
from tests.factories import CommunityFactory, UserFactory, make_member
from tests.metrics.pipeline_fixtures import T

pytestmark = pytest.mark.django_db


def snapshot(community, as_of, levels):
    made = MetricsSnapshot.objects.create(community=community, as_of=as_of, computed_at=as_of)
    MemberMetrics.objects.bulk_create(
        MemberMetrics(snapshot=made, user=user, level=level) for user, level in levels.items()
    )
    return made


def test_taking_part_elsewhere_counts_the_latest_level_in_each_other_community():
    here, there, third, unrelated = (CommunityFactory() for _ in range(4))
    ana, ben, cai = UserFactory(), UserFactory(), UserFactory()
    for user in (ana, ben):
        make_member(here, user)
    for community in (there, third, unrelated):
        for user in (ana, ben, cai):
            make_member(community, user)
    snapshot(there, T - timedelta(days=40), {ana: "active", ben: "core", cai: "core"})
    snapshot(there, T - timedelta(days=10), {ana: "occasional", ben: "dormant", cai: "core"})
    snapshot(there, T + timedelta(days=1), {ana: "dormant", ben: "core"})  # after as_of
    snapshot(third, T - timedelta(days=5), {ana: "core", ben: "peripheral"})
    snapshot(here, T - timedelta(days=1), {ana: "core", ben: "core"})  # this community

    counts = taking_part_elsewhere(here.pk, T)

    # ana: occasional in "there" (its latest snapshot by T) and core in "third"; ben: dormant
    # and peripheral; cai is not a member here.
    assert counts.get(ana.pk) == 2
    assert counts.get(ben.pk, 0) == 0
    assert cai.pk not in counts
