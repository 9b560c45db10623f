"""Events through the API: the permission matrix on the private canary community, the online
link only for whom the page shows it, RSVPs through the service (waiting list, cancelled,
scope), bad input, cursors and query counts constant in the page size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.v1.events import EventDetail
from communities.models import Membership
from practice.models import RSVP
from practice.services import events as event_services
from tests.api.conftest import CANARY, ApiClient, token_for
from tests.api.test_permissions import READERS, VIEWERS
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db

SECRET_LINK = "https://meet.example/canary-call"


def _event(community, by, *, days=7, **fields):
    starts = timezone.now() + timedelta(days=days)
    data = {
        "title": "Dressings clinic",
        "kind": "meetup",
        "description": "Bring **questions**.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "timezone": "Europe/Paris",
        "place": "Room 4",
        "online_url": "",
        "capacity": None,
        **fields,
    }
    return event_services.event_create(community=community, by=by, **data)


@pytest.fixture
def canary_event(canary):
    moderator = canary["viewers"]["moderator"]
    event = _event(
        canary["community"],
        moderator,
        title=f"{CANARY} event",
        description=f"{CANARY} agenda",
        online_url=SECRET_LINK,
    )
    return {**canary, "event": event}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_private_events_through_the_api(canary_event, viewer):
    user = canary_event["viewers"][viewer]
    api = ApiClient(token_for(user) if user else None)
    event = canary_event["event"]
    reads = {
        "/communities/sre/events": "/communities/nope/events",
        "/communities/sre/events?when=past": "/communities/nope/events?when=past",
        f"/communities/sre/events/{event.pk}": f"/communities/sre/events/{event.pk + 999}",
    }
    for path, missing in reads.items():
        response = api.get(path)
        if viewer in READERS:
            assert response.status_code == 200, path
            if "past" not in path:
                assert (
                    CANARY in response.content.decode() and SECRET_LINK in response.content.decode()
                )
        else:
            assert response.status_code == 404, (viewer, path)
            assert response.content == api.get(missing).content
    before = RSVP.objects.count()
    response = api.send("put", f"/communities/sre/events/{event.pk}/rsvp", {"answer": "going"})
    expected = {"anon": 401, "member": 200, "moderator": 200}.get(viewer, 404)
    assert response.status_code == expected, (viewer, response.content)
    assert CANARY not in response.content.decode()
    if viewer not in READERS:
        assert RSVP.objects.count() == before


def test_online_link_only_for_members(db):
    community = CommunityFactory(slug="open", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    event = _event(community, moderator, online_url=SECRET_LINK)
    for user in (None, make_member(CommunityFactory()).user):
        api = ApiClient(token_for(user) if user else None)
        detail = api.get(f"/communities/open/events/{event.pk}").json()
        assert detail["online_url"] is None and detail["place"] == "Room 4"
        listed = api.get("/communities/open/events").json()["items"]
        assert [row["online_url"] for row in listed] == [None]
    member = ApiClient(token_for(make_member(community).user))
    assert member.get(f"/communities/open/events/{event.pk}").json()["online_url"] == SECRET_LINK


def test_rsvp_waiting_list_cancelled_and_scopes(canary_event):
    community, event = canary_event["community"], canary_event["event"]
    moderator = canary_event["viewers"]["moderator"]
    small = _event(community, moderator, title="Small", capacity=1)
    first = ApiClient(token_for(canary_event["viewers"]["member"]))
    second = ApiClient(token_for(make_member(community).user))
    path = f"/communities/sre/events/{small.pk}/rsvp"
    assert first.send("put", path, {"answer": "going"}).json() == {
        "answer": "going",
        "waitlist_position": None,
    }
    assert second.send("put", path, {"answer": "going"}).json() == {
        "answer": "waitlist",
        "waitlist_position": 1,
    }
    # Idempotent: going again keeps the place in line.
    assert second.send("put", path, {"answer": "going"}).json()["answer"] == "waitlist"
    # The first one drops out: the service promotes the next in line.
    assert first.send("put", path, {"answer": "not_going"}).json()["answer"] == "not_going"
    detail = second.get(f"/communities/sre/events/{small.pk}").json()
    assert detail["my_answer"] == "going" and detail["going_count"] == 1
    assert detail["not_going_count"] == 1 and detail["can_rsvp"] is True
    # The detail (an ETag response, not validated by ninja) matches its documented schema.
    assert set(EventDetail.model_validate(detail).model_dump()) == set(detail)
    # A read-only token answers nothing (403); a cancelled event is refused (403).
    read_only = ApiClient(token_for(canary_event["viewers"]["member"], scopes=["read"]))
    refused = read_only.send("put", f"/communities/sre/events/{event.pk}/rsvp", {"answer": "maybe"})
    assert refused.status_code == 403
    event_services.event_cancel(event=event, by=moderator)
    cancelled = first.send("put", f"/communities/sre/events/{event.pk}/rsvp", {"answer": "going"})
    assert cancelled.status_code == 403 and cancelled.json()["error"]["code"] == "forbidden"
    assert first.get(f"/communities/sre/events/{event.pk}").json()["is_cancelled"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer": "waitlist"}, "answer"),
        ({"answer": "yes"}, "answer"),
        ({}, "answer"),
        ({"answer": "going", "extra": 1}, "extra"),
        ({"answer": 1}, "answer"),
    ],
)
def test_rsvp_bad_input_is_a_400(canary_event, body, field):
    api = ApiClient(token_for(canary_event["viewers"]["member"]))
    before = RSVP.objects.count()
    response = api.send("put", f"/communities/sre/events/{canary_event['event'].pk}/rsvp", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and field in error["fields"]
    assert RSVP.objects.count() == before
    for query in ({"when": "soon"}, {"limit": "0"}, {"cursor": "nope"}):
        assert api.get("/communities/sre/events", **query).status_code == 400


ROWS = 11


@pytest.fixture
def busy(db):
    community = CommunityFactory(slug="busy", visibility="open")
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    members = [make_member(community).user for _ in range(3)]
    for i in range(ROWS):
        event = _event(community, moderator, days=i + 1, title=f"Event {i}")
        for member in members[: i % 4]:
            event_services.rsvp_set(event=event, user=member, answer="going")
    for i in range(ROWS):
        when = timezone.now() - timedelta(days=i + 2)
        # Past events: created through the service back in time.
        event_services.event_create(
            community=community,
            by=moderator,
            at=when,
            title=f"Past {i}",
            kind="meetup",
            starts_at=when,
            ends_at=when + timedelta(hours=1),
            timezone="UTC",
            place="Room 4",
        )
    return {"community": community, "member": members[0]}


def _count(api, path, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize("when", ["upcoming", "past"])
def test_event_list_queries_and_cursor(busy, when, django_assert_max_num_queries):
    api = ApiClient(token_for(busy["member"]))
    api.get("/me")
    small, small_page = _count(api, "/communities/busy/events", when=when, limit=2)
    large, large_page = _count(api, "/communities/busy/events", when=when, limit=ROWS)
    assert len(small_page["items"]) == 2 and len(large_page["items"]) == ROWS
    assert small == large
    with django_assert_max_num_queries(small):
        api.get("/communities/busy/events", when=when, limit=ROWS)
    seen, cursor = [], None
    while True:
        params = {"when": when, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/communities/busy/events", **params).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [row["id"] for row in large_page["items"]]
    starts = [row["starts_at"] for row in large_page["items"]]
    assert starts == sorted(starts, reverse=when == "past")
