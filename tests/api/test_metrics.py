"""Metrics through the API: moderators only (metrics.permissions: 404 for who may not read the
community, 403 for its members, as the web export), the same document as the dashboard's JSON
export, members' dashboard naming honoured, pseudonyms on request, and the history paged by
cursor with a query count constant in the page size."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.v1.metrics import MetricsExport
from communities.models import UNNAMED_MEMBER, Membership, Profile
from metrics.models import MetricsSnapshot
from tests.api.conftest import ApiClient, token_for
from tests.api.test_permissions import VIEWERS
from tests.factories import CommunityFactory, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.django_db
MODERATE = ("read", "write", "moderate")


@pytest.fixture
def metrics(canary):
    community = canary["community"]
    people = make_members(community, 6)
    # One member chose not to be named on dashboards.
    Profile.objects.filter(user=people[0]).update(
        display_name="Hidden Hilda", dashboard_naming=Profile.Naming.UNNAMED
    )
    write_snapshot(community, people, history=2)
    return {**canary, "people": people}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_metrics_are_for_moderators(metrics, viewer):
    user = metrics["viewers"][viewer]
    api = ApiClient(token_for(user, MODERATE) if user else None)
    expected = {"anon": 401, "member": 403, "moderator": 200}.get(viewer, 404)
    for path in ("/communities/sre/metrics", "/communities/sre/metrics/history"):
        response = api.get(path)
        assert response.status_code == expected, (viewer, path)
        if expected == 404:
            assert response.content == api.get(path.replace("sre", "nope")).content
        if expected != 200:
            assert "Person" not in response.content.decode()
    # The web export answers the same for a signed-in member (403) and moderator (200).
    if viewer in ("member", "moderator"):
        web = Client()
        web.force_login(user)
        assert web.get("/c/sre/dashboard/export.json").status_code == expected


def test_latest_is_the_web_export_with_the_members_naming(metrics):
    moderator = metrics["viewers"]["moderator"]
    api = ApiClient(token_for(moderator, MODERATE))
    web = Client()
    web.force_login(moderator)
    for pseudonymous, flag in (("false", "0"), ("true", "1")):
        document = api.get("/communities/sre/metrics", pseudonymous=pseudonymous).json()
        export = web.get("/c/sre/dashboard/export.json", {"pseudonymous": flag}).content
        assert document == json.loads(export), pseudonymous
        assert MetricsExport.model_validate(document).pseudonymous is (flag == "1")
    named = api.get("/communities/sre/metrics").json()
    hilda = str(metrics["people"][0].pk)
    assert named["people"][hilda]["name"] == UNNAMED_MEMBER
    assert named["people"][hilda]["username"] is None
    assert "Hidden Hilda" not in json.dumps(named)
    pseudo = api.get("/communities/sre/metrics", pseudonymous="true").json()
    text = json.dumps(pseudo)
    assert "Person 1" not in text and '"user_id"' not in text
    # A moderator's token without the moderate scope reads no metrics (403).
    assert ApiClient(token_for(moderator)).get("/communities/sre/metrics").status_code == 403


def test_history_pages_and_naming(metrics, django_assert_max_num_queries):
    api = ApiClient(token_for(metrics["viewers"]["moderator"], MODERATE))
    api.get("/me")
    with CaptureQueriesContext(connection) as small:
        first = api.get("/communities/sre/metrics/history", limit=1).json()
    with CaptureQueriesContext(connection) as large:
        everything = api.get("/communities/sre/metrics/history", limit=10).json()
    assert len(small) == len(large)
    with django_assert_max_num_queries(len(small)):
        api.get("/communities/sre/metrics/history", limit=10)
    assert len(first["items"]) == 1 and len(everything["items"]) == 3
    as_of = [item["snapshot"]["as_of"] for item in everything["items"]]
    assert as_of == sorted(as_of, reverse=True)
    walked, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/communities/sre/metrics/history", **params).json()
        walked += [item["snapshot"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == [item["snapshot"]["id"] for item in everything["items"]]
    latest = MetricsSnapshot.objects.filter(community=metrics["community"]).latest("as_of")
    assert everything["items"][0]["data"] == json.loads(json.dumps(latest.data))
    brokers = {b["user_id"] for b in latest.data["network"]["top_brokers"]}
    assert brokers <= {int(uid) for uid in everything["people"]}
    hilda = str(metrics["people"][0].pk)
    assert everything["people"][hilda] == {
        "member": f"u{hilda}",
        "name": UNNAMED_MEMBER,
        "username": None,
    }
    pseudo = api.get("/communities/sre/metrics/history", pseudonymous="true").json()
    text = json.dumps(pseudo)
    assert '"user_id"' not in text and "Person" not in text
    assert all(key.startswith("member-") for key in pseudo["people"])


def test_no_snapshot_yet_is_a_404_and_bad_input_a_400(db):
    community = CommunityFactory(slug="fresh", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    api = ApiClient(token_for(moderator, MODERATE))
    assert api.get("/communities/fresh/metrics").status_code == 404
    assert api.get("/communities/fresh/metrics/history").json()["items"] == []
    for query in ({"pseudonymous": "perhaps"}, {"limit": "0"}, {"cursor": "x"}):
        response = api.get("/communities/fresh/metrics/history", **query)
        assert response.status_code == 400 and response.json()["error"]["fields"]
