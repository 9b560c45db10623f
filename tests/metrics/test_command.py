"""manage.py compute_metrics: by hand, the same run the task makes; --json is the dashboard data."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from metrics import selectors
from metrics.models import MetricsSnapshot, MetricsState
from tests.factories import CommunityFactory, make_admin
from tests.metrics.pipeline_fixtures import T, build_smallville, frozen

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    with frozen(T):
        call_command("compute_metrics", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_compute_metrics_json_is_the_stored_snapshot_data():
    village = build_smallville()

    out, err = run("smallville", "--json")

    printed = json.loads(out)
    snapshot = selectors.latest_snapshot(village.community)
    assert printed == snapshot.data
    assert printed["as_of"] == T.isoformat()
    assert printed["windows"]["30"]["ttfr_hours"]["median"] == 3.0
    assert "smallville: as of 2026-03-15 12:00 UTC, 5 members, 2 ties" in err


def test_compute_metrics_json_matches_the_dashboard_page(client):
    village = build_smallville()
    out, _ = run("smallville", "--json")
    printed = json.loads(out)
    admin = make_admin()
    client.force_login(admin)

    response = client.get(f"/c/{village.community.slug}/dashboard/export.json")

    assert response.status_code == 200
    assert json.loads(response.content)["data"] == printed


def test_compute_metrics_all_communities_progress():
    build_smallville()
    CommunityFactory(slug="quiet")

    out, _ = run()

    assert "smallville: as of 2026-03-15 12:00 UTC" in out
    assert "quiet: as of" in out
    assert MetricsSnapshot.objects.count() == 2


def test_compute_metrics_full_and_as_of():
    village = build_smallville()
    run("smallville")

    out, _ = run("smallville", "--full")
    assert MetricsState.objects.get(community=village.community).last_full_at is not None

    out, _ = run("smallville", "--as-of", "2026-02-15T12:00:00Z", "--json")
    past = json.loads(out)
    assert past["as_of"] == "2026-02-15T12:00:00+00:00"
    assert past["windows"]["90"]["posts"] == 2
    assert MetricsSnapshot.objects.count() == 2


def test_compute_metrics_history():
    village = build_smallville()

    out, _ = run("smallville", "--history", "2")

    assert list(
        MetricsSnapshot.objects.filter(community=village.community)
        .order_by("as_of")
        .values_list("as_of", flat=True)
    ) == [T.replace(month=2, day=1, hour=0), T.replace(day=1, hour=0), T]


def test_compute_metrics_bad_input():
    with pytest.raises(CommandError, match="No community"):
        run("nowhere")
    CommunityFactory(slug="here")
    with pytest.raises(CommandError, match="ISO 8601"):
        run("here", "--as-of", "yesterday")
    assert get_user_model().objects.count() == 0
