"""Network measures carried forward while the ties barely changed, and said so on the page."""

from datetime import timedelta

import pytest

from communities.interactions import interactions_write
from metrics import dashboard, services
from metrics.models import MemberMetrics
from tests.metrics.pipeline_fixtures import T, build_karate, frozen

pytestmark = pytest.mark.django_db


@pytest.fixture
def reuse(settings):
    settings.METRICS_NETWORK_REUSE_MIN_NODES = 10  # the karate club is 35 members
    settings.METRICS_NETWORK_REUSE_TOLERANCE = 0.02
    return build_karate()


def run(karate, moment, **kwargs):
    with frozen(moment):
        return services.metrics_compute(community_id=karate.community.pk, **kwargs)


def positions(snapshot):
    return list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values_list("user_id", "betweenness", "x", "y")
    )


def test_unchanged_network_carries_betweenness_and_drawing_forward(reuse):
    first = run(reuse, T)
    assert "carried_forward" not in first.data["network"]

    later = run(reuse, T + timedelta(hours=5))  # nobody interacted; every score decayed a bit

    carried = later.data["network"]["carried_forward"]
    assert carried["from"] == first.as_of.isoformat()
    assert carried["edges_changed"] == 0.0
    assert positions(later) == positions(first)
    assert later.data["network"]["top_brokers"] == first.data["network"]["top_brokers"]
    # The cheap measures are fresh: strengths follow the decayed scores.
    assert later.data["network"]["edges"] == first.data["network"]["edges"]
    strengths = dict(
        MemberMetrics.objects.filter(snapshot=later).values_list("user_id", "strength")
    )
    before = dict(MemberMetrics.objects.filter(snapshot=first).values_list("user_id", "strength"))
    assert any(strengths[u] < before[u] for u in before if before[u])

    status = dashboard.computation_status(community=reuse.community, snapshot=later)
    assert any(
        "Network measures (betweenness, brokers and the drawing) from" in notice
        and "changed less than 2% since" in notice
        for notice in status.notices
    )
    assert not any(
        "Network measures" in n
        for n in dashboard.computation_status(community=reuse.community, snapshot=first).notices
    )

    # Changes are counted against the base, not the previous carried-forward run.
    third = run(reuse, T + timedelta(hours=9))
    assert third.data["network"]["carried_forward"]["from"] == first.as_of.isoformat()


def test_network_changed_beyond_the_tolerance_is_computed_afresh(reuse):
    first = run(reuse, T)
    users = reuse.users
    # Five new ties (pairs who never met in the club): 5 of about 70 edges, beyond 2 %.
    new_pairs = [(0, 9), (4, 33), (11, 25), (16, 29), (12, 24)]
    moment = T + timedelta(hours=1)
    with frozen(moment):
        interactions_write(
            [reuse._answer(users[a], users[b], moment, source=users[a]) for a, b in new_pairs]
        )
    later = run(reuse, T + timedelta(hours=2))
    assert "carried_forward" not in later.data["network"]
    assert later.data["network"]["edges"] == first.data["network"]["edges"] + 5


def test_small_communities_always_compute(settings):
    settings.METRICS_NETWORK_REUSE_MIN_NODES = 1000
    karate = build_karate()
    run(karate, T)
    later = run(karate, T + timedelta(hours=5))
    assert "carried_forward" not in later.data["network"]
