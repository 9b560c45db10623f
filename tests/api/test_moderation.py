"""The moderators' writes through the API (join requests, lock, move, events, item edits): the
same services as the web, the web's rules, and query counts constant in the page size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities import services as community_services
from communities.models import Community, Membership
from knowledge.models import Item
from knowledge.services import curation
from knowledge.services import items as item_services
from practice.models import Event, Thread
from practice.services import threads as thread_services
from tests.api.conftest import ApiClient, token_for
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

ALL = ("read", "write", "moderate")


@pytest.fixture
def circle():
    community = CommunityFactory(slug="wound-care", visibility=Community.Visibility.REQUEST)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    member = make_member(community).user
    return community, moderator, member, ApiClient(token_for(moderator, ALL))


def _queries(api, path, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path, **params).status_code == 200
    return len(queries)


def test_join_requests_listed_approved_and_denied(circle):
    community, _moderator, _member, api = circle
    asking = [UserFactory() for _ in range(3)]
    for n, user in enumerate(asking):
        community_services.membership_request(community=community, user=user, message=f"Hi {n}")
    first = api.get("/communities/wound-care/join-requests", limit=2).json()
    assert [row["message"] for row in first["items"]] == ["Hi 0", "Hi 1"]  # oldest first
    rest = api.get("/communities/wound-care/join-requests", cursor=first["next_cursor"]).json()
    assert [row["member"]["username"] for row in rest["items"]] == [asking[2].username]
    # The same number of queries for a page of one request as for all of them.
    assert _queries(api, "/communities/wound-care/join-requests", limit=1) == _queries(
        api, "/communities/wound-care/join-requests", limit=100
    )
    ids = [row["id"] for row in first["items"] + rest["items"]]
    approved = api.post(
        f"/communities/wound-care/join-requests/{ids[0]}/approve", {"message": "Hi"}
    )
    assert approved.json()["state"] == "active"
    denied = api.post(f"/communities/wound-care/join-requests/{ids[1]}/deny")
    assert denied.json()["state"] == "declined"
    # Approving again is harmless; approving what was denied is a 400, as on the web.
    assert api.post(f"/communities/wound-care/join-requests/{ids[0]}/approve").status_code == 200
    again = api.post(f"/communities/wound-care/join-requests/{ids[1]}/approve")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid"
    states = Membership.objects.filter(pk__in=ids).order_by("pk").values_list("state", flat=True)
    assert list(states) == ["active", "declined", "pending"]
    # Another community's request is not found through this one.
    elsewhere = CommunityFactory(visibility=Community.Visibility.REQUEST)
    stranger = community_services.membership_request(community=elsewhere, user=UserFactory())
    response = api.post(f"/communities/wound-care/join-requests/{stranger.pk}/approve")
    assert response.status_code == 404


def test_lock_unlock_and_move_a_thread(circle):
    community, moderator, member, api = circle
    thread = thread_services.thread_create(
        community=community, author=member, kind="question", title="Foam?", body="Which?"
    )
    path = f"/communities/wound-care/threads/{thread.pk}"
    locked = api.send("put", f"{path}/lock", {"reason": "Answered"})
    assert locked.status_code == 200 and locked.json()["is_locked"] is True
    as_member = ApiClient(token_for(member, ALL))
    assert as_member.post(f"{path}/posts", {"body": "One more"}).status_code == 403
    assert api.send("delete", f"{path}/lock").json()["is_locked"] is False
    assert as_member.post(f"{path}/posts", {"body": "One more"}).status_code == 201
    # Only to a community the moderator moderates: another one is a 400, nothing moves.
    CommunityFactory(slug="not-mine")
    refused = api.post(f"{path}/move", {"to": "not-mine"})
    assert refused.status_code == 400 and "to" in refused.json()["error"]["fields"]
    make_member(CommunityFactory(slug="pressure-care"), user=moderator, role="moderator")
    moved = api.post(f"{path}/move", {"to": "pressure-care", "reason": "Belongs there"})
    assert moved.status_code == 200
    assert moved.json()["community"] == "pressure-care"
    assert moved.json()["url"] == f"/c/pressure-care/t/{thread.pk}/"
    assert Thread.objects.get(pk=thread.pk).community.slug == "pressure-care"
    assert api.get(path).status_code == 404


def test_events_created_changed_and_cancelled(circle):
    _community, _moderator, member, api = circle
    starts = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    body = {
        "title": "Dressings clinic",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Europe/Berlin",
        "place": "Ward 4",
        "capacity": 10,
    }
    created = api.post("/communities/wound-care/events", body)
    assert created.status_code == 201, created.content
    event = created.json()
    assert (event["title"], event["capacity"], event["is_cancelled"]) == (
        "Dressings clinic",
        10,
        False,
    )
    path = f"/communities/wound-care/events/{event['id']}"
    # The service's own checks, per field: 400 and nothing written.
    for bad in ({"timezone": "Mars/Olympus"}, {"ends_at": body["starts_at"]}):
        response = api.send("patch", path, bad)
        assert response.status_code == 400 and set(bad) <= set(response.json()["error"]["fields"])
    naive = api.post("/communities/wound-care/events", {**body, "starts_at": "2027-01-01T10:00"})
    assert naive.status_code == 400
    too_early = api.post(
        "/communities/wound-care/events", {**body, "starts_at": "0001-01-01T00:00:00+05:00"}
    )
    assert too_early.status_code == 400 and "starts_at" in too_early.json()["error"]["fields"]
    assert Event.objects.count() == 1
    # Any offset ISO 8601 allows is kept as the same moment in UTC (PostgreSQL stores no
    # offset beyond ±15:59 as given: this was a 500 there).
    far = {**body, "starts_at": "2027-05-01T10:00:00-17:30", "ends_at": "2027-05-02T10:00:00Z"}
    created_far = api.post("/communities/wound-care/events", far)
    assert created_far.status_code == 201
    assert created_far.json()["starts_at"] in ("2027-05-02T03:30:00Z", "2027-05-02T03:30:00+00:00")
    Event.objects.filter(pk=created_far.json()["id"]).delete()
    assert Event.objects.count() == 1
    changed = api.send("patch", path, {"place": "Ward 5", "capacity": None, "kind": None}).json()
    assert changed["kind"] == "meetup" and Event.objects.get().kind == "meetup"
    practice = api.send("patch", path, {"kind": "practice"}).json()
    assert practice["kind"] == "practice"
    assert api.send("patch", path, {"kind": None}).json()["kind"] == "practice"
    assert (changed["place"], changed["capacity"], changed["title"]) == (
        "Ward 5",
        None,
        "Dressings clinic",
    )
    # A member (even with every scope) may not, as on the web.
    as_member = ApiClient(token_for(member, ALL))
    assert as_member.send("patch", path, {"place": "Home"}).status_code == 403
    assert as_member.post(f"{path}/cancel").status_code == 403
    cancelled = api.post(f"{path}/cancel", {"reason": "Flooded"}).json()
    assert cancelled["is_cancelled"] is True and cancelled["can_rsvp"] is False
    assert api.post(f"{path}/cancel").status_code == 200  # harmless again
    assert api.send("patch", path, {"place": "Ward 6"}).status_code == 400


def test_items_edited_as_the_web_allows(circle):
    community, moderator, member, api = circle
    item = item_services.item_propose(
        community=community, by=member, kind="method", title="Two-layer", summary="How."
    )
    path = f"/communities/wound-care/library/{item.pk}"
    as_member = ApiClient(token_for(member, ("read", "write")))
    edited = as_member.send("patch", path, {"summary": "How, step by step.", "tags": ["ulcers"]})
    assert edited.status_code == 200, edited.content
    assert edited.json()["summary"] == "How, step by step." and edited.json()["tags"] == ["ulcers"]
    assert edited.json()["title"] == "Two-layer" and edited.json()["revision_count"] == 2
    assert as_member.send("patch", path, {"colour": "red"}).status_code == 400
    # A moderator's everyday token cannot edit someone else's item; with moderate it can.
    write_only = ApiClient(token_for(moderator, ("read", "write")))
    assert write_only.send("patch", path, {"title": "Mine"}).status_code == 403
    assert api.send("patch", path, {"title": "Two-layer compression"}).status_code == 200
    # Once published, the proposer changes it by a change proposal on the site, not here.
    curation.item_publish(item=Item.objects.get(pk=item.pk), by=moderator)
    refused = as_member.send("patch", path, {"summary": "Quicker."})
    assert refused.status_code == 403
    assert Item.objects.get(pk=item.pk).summary == "How, step by step."
