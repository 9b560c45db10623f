"""Network measures carried forward while the ties barely changed, and said so on the page."""

import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command

from communities.interactions import interactions_write
from metrics import dashboard, services
from metrics.models import MemberMetrics, MetricsSnapshot
from metrics.pipeline import network_refresh as network_refresh_module
from metrics.pipeline.schedule import metrics_requests_held
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


NEW_PAIRS = [(0, 9), (4, 33), (11, 25), (16, 29), (12, 24)]  # pairs who never met in the club


def _new_ties(karate, moment):
    """Five new ties: 5 of about 70 edges, beyond 2 %."""
    users = karate.users
    with frozen(moment):
        interactions_write(
            [karate._answer(users[a], users[b], moment, source=users[a]) for a, b in NEW_PAIRS]
        )


def stored(snapshot):
    """Return what every reader reads of *snapshot*: its data (without the run's own timing),
    its member rows and its flag, fresh from the database."""
    snapshot = MetricsSnapshot.objects.get(pk=snapshot.pk)
    data = {k: v for k, v in snapshot.data.items() if k not in ("computed_at", "duration_ms")}
    rows = list(
        MemberMetrics.objects.filter(snapshot=snapshot)
        .order_by("user_id")
        .values(*(f.attname for f in MemberMetrics._meta.concrete_fields if f.attname != "id"))
    )
    return data, rows, snapshot.betweenness_exact


def test_network_changed_beyond_the_tolerance_is_computed_in_the_run_when_configured(
    reuse, settings
):
    settings.METRICS_NETWORK_REFRESH_IN_BACKGROUND = False
    first = run(reuse, T)
    _new_ties(reuse, T + timedelta(hours=1))
    later = run(reuse, T + timedelta(hours=2), full=True)
    assert "carried_forward" not in later.data["network"]
    assert later.data["network"]["edges"] == first.data["network"]["edges"] + 5


@pytest.mark.parametrize("full", [False, True])
def test_network_changed_beyond_the_tolerance_is_refreshed_by_its_own_task(
    reuse, settings, django_capture_on_commit_callbacks, full
):
    first = run(reuse, T)
    _new_ties(reuse, T + timedelta(hours=1))
    moment = T + timedelta(hours=2)
    with django_capture_on_commit_callbacks() as callbacks:
        later = run(reuse, moment, full=full)

    # The run carried betweenness and the drawing forward, said so, and queued their refresh.
    carried = later.data["network"]["carried_forward"]
    assert carried["refresh"] == "queued"
    assert carried["edges_changed"] > 0.02
    assert later.data["network"]["edges"] == first.data["network"]["edges"] + 5
    assert positions(later) == positions(first)
    notices = dashboard.computation_status(community=reuse.community, snapshot=later).notices
    assert any("so they are being computed afresh" in n for n in notices)
    assert len(callbacks) == 1

    with frozen(moment + timedelta(minutes=3)):
        callbacks[0]()  # the task, eager: metrics.refresh_network
    refreshed = stored(later)
    assert "carried_forward" not in refreshed[0]["network"]
    notices = dashboard.computation_status(
        community=reuse.community, snapshot=MetricsSnapshot.objects.get(pk=later.pk)
    ).notices
    assert not any("Network measures" in n for n in notices)
    assert services.metrics_network_refresh(community_id=reuse.community.pk) is None  # done

    # The same run with the measures computed in the run itself stores the very same snapshot.
    settings.METRICS_NETWORK_REFRESH_IN_BACKGROUND = False
    inline = run(reuse, moment, full=full)
    assert inline.pk == later.pk
    assert "carried_forward" not in inline.data["network"]
    assert stored(inline) == refreshed
    assert positions(inline) != positions(first)


def test_network_refresh_leaves_a_replaced_snapshot_alone(
    reuse, django_capture_on_commit_callbacks
):
    run(reuse, T)
    _new_ties(reuse, T + timedelta(hours=1))
    with django_capture_on_commit_callbacks():
        later = run(reuse, T + timedelta(hours=2))
    before = stored(later)
    # Read, then replaced by another run before the write: nothing is written.
    original = network_refresh_module.layout_of

    def replaced_meanwhile(*args, **kwargs):
        MetricsSnapshot.objects.filter(pk=later.pk).update(computed_at=T + timedelta(hours=4))
        return original(*args, **kwargs)

    with mock.patch.object(network_refresh_module, "layout_of", replaced_meanwhile):
        assert services.metrics_network_refresh(community_id=reuse.community.pk) is None
    assert stored(later)[:2] == before[:2]
    assert MetricsSnapshot.objects.get(pk=later.pk).data["network"]["carried_forward"]["refresh"]


def test_small_communities_always_compute(settings):
    settings.METRICS_NETWORK_REUSE_MIN_NODES = 1000
    karate = build_karate()
    run(karate, T)
    later = run(karate, T + timedelta(hours=5))
    assert "carried_forward" not in later.data["network"]


@pytest.mark.django_db(transaction=True)
def test_compute_metrics_prints_the_snapshot_as_stored_after_its_refresh(settings):
    # Transactional: without a broker the queued refresh runs when the run's write commits,
    # before the command prints.
    settings.METRICS_NETWORK_REUSE_MIN_NODES = 10
    with metrics_requests_held():  # no run of the wall clock's "now" from the log's listener
        karate = build_karate()
        run(karate, T)
        _new_ties(karate, T + timedelta(hours=1))
    out = io.StringIO()
    with frozen(T + timedelta(hours=2)):
        call_command(
            "compute_metrics", karate.community.slug, "--json", stdout=out, stderr=io.StringIO()
        )
    printed = json.loads(out.getvalue())
    stored_data = MetricsSnapshot.objects.get(community=karate.community, as_of=printed["as_of"])
    assert printed["run"]["current"]
    assert "carried_forward" not in printed["network"]
    assert printed == stored_data.data
