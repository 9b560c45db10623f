"""Events: a community's upcoming or past events, one event, answering it (RSVP), and the
moderators' writes (create, change, cancel).

Reads start from ``practice.permissions`` (``access_community_content``, ``access_event``,
``events_visible_to`` through ``practice.selectors.events``); the answer is one call to
``practice.services.events.rsvp_set``, whose ``require_can_rsvp`` answers 403. The online link
is shown only to whom the event page shows it (``can_see_event_link``). Creating, changing and
cancelling are ``event_create``, ``event_update`` and ``event_cancel``, whose
``require_can_manage_events`` answers 403 to members, as on the web; they need the ``moderate``
scope too.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from api.v1.common import (
    ERRORS,
    MODERATE,
    READ,
    WRITE,
    Limit,
    Moment,
    ObjectId,
    Slug,
    Text,
    caller_for,
    etagged,
)
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from api.v1.schemas import StrictInput
from communities import permissions as community_permissions
from practice import permissions
from practice.selectors import events as selectors
from practice.services import events as services

router = Router(tags=["events"])

ORDERS = {"upcoming": ("starts_at", "pk"), "past": ("-starts_at", "-pk")}
Answer = Literal["going", "maybe", "not_going", "waitlist"]
Kind = Literal["meetup", "practice", "webinar"]
EVENT_EXAMPLE = {
    "kind": "meetup",
    "title": "Dressings clinic, spring round",
    "description": "Bring a case you are stuck on; **ten minutes each**.",
    "starts_at": "2027-03-02T17:00:00Z",
    "ends_at": "2027-03-02T18:30:00Z",
    "timezone": "Europe/Berlin",
    "place": "Ward 4 seminar room",
    "online_url": "https://meet.example/abc",
    "capacity": 20,
}


class EventRow(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 7,
                "kind": "meetup",
                "title": "Dressings clinic, spring round",
                "starts_at": "2027-03-02T17:00:00Z",
                "ends_at": "2027-03-02T18:30:00Z",
                "timezone": "Europe/Berlin",
                "place": "Ward 4 seminar room",
                "online_url": "https://meet.example/abc",
                "capacity": 20,
                "is_cancelled": False,
                "going_count": 12,
                "maybe_count": 3,
                "waitlist_count": 0,
                "my_answer": "going",
                "url": "/c/wound-care/events/7/",
            }
        }
    )

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    online_url: str | None = Field(
        None, description="Only for members and moderators (as on the event page)."
    )
    capacity: int | None = None
    is_cancelled: bool
    going_count: int
    maybe_count: int
    waitlist_count: int
    my_answer: Answer | None = Field(None, description="The caller's answer, if any.")
    url: str


class EventPage(Schema):
    items: list[EventRow]
    next_cursor: str | None = None


class EventDetail(EventRow):
    description: str = Field(description="The Markdown as written.")
    description_html: str = Field(description="Sanitised HTML (nh3), as the site shows it.")
    not_going_count: int
    attended_count: int
    waitlist_position: int | None = Field(
        None, description="1 for the next to get a place, when the caller is waiting."
    )
    can_rsvp: bool


class RsvpIn(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"answer": "going"}})

    answer: Literal["going", "maybe", "not_going"] = Field(
        description="Going to a full event puts the caller on the waiting list."
    )


class RsvpOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={"example": {"answer": "waitlist", "waitlist_position": 2}}
    )

    answer: Answer
    waitlist_position: int | None = None


def _url(slug: str, pk: int) -> str:
    return reverse("practice:event", args=[slug, pk])


def _row(event, *, slug: str, show_link: bool) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "title": event.title,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "place": event.place,
        "online_url": (event.online_url or None) if show_link else None,
        "capacity": event.capacity,
        "is_cancelled": event.cancelled_at is not None,
        "going_count": event.going_count,
        "maybe_count": event.maybe_count,
        "waitlist_count": event.waitlist_count,
        "my_answer": getattr(event, "my_answer", None),
        "url": _url(slug, event.pk),
    }


@router.get(
    "/communities/{slug}/events",
    response={200: EventPage, **ERRORS},
    summary="A community's events",
    description=(
        "Upcoming events (not yet over) soonest first, or past ones latest first, with their "
        "answer counts, as on the events page. A community whose content the caller may not "
        "read is a 404."
    ),
)
def event_list(
    request: HttpRequest,
    slug: str = Slug,
    when: Literal["upcoming", "past"] = "upcoming",
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    select = selectors.upcoming_events if when == "upcoming" else selectors.past_events
    qs = select(user=caller.user, community=community)
    after, finish = keyset_page(
        qs, kind=f"events:{when}", order=ORDERS[when], cursor=cursor, limit=limit
    )
    rows, next_cursor = finish(list(after[: limit + 1]))
    show_link = permissions.can_see_event_link(caller.user, community)
    return {
        "items": [_row(e, slug=community.slug, show_link=show_link) for e in rows],
        "next_cursor": next_cursor,
    }


def _detail(user, event) -> dict:
    community = event.community
    counts = selectors.event_counts(event=event)
    mine = selectors.rsvp_of(event=event, user=user)
    event.going_count = counts["going"]
    event.maybe_count = counts["maybe"]
    event.waitlist_count = counts["waitlist"]
    event.my_answer = mine.answer if mine else None
    return {
        **_row(
            event,
            slug=community.slug,
            show_link=permissions.can_see_event_link(user, community),
        ),
        "description": event.description,
        "description_html": event.description_html,
        "not_going_count": counts["not_going"],
        "attended_count": counts["attended"],
        "waitlist_position": selectors.waitlist_position(rsvp=mine),
        "can_rsvp": permissions.can_rsvp_now(user, event),
    }


@router.get(
    "/communities/{slug}/events/{event_id}",
    response={200: EventDetail, 304: None, **ERRORS},
    summary="One event",
    description="Sends an ETag; If-None-Match answers 304.",
)
def event_detail(request: HttpRequest, slug: str = Slug, event_id: int = ObjectId):
    caller = caller_for(request, READ)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    return etagged(request, _detail(caller.user, event))


@router.put(
    "/communities/{slug}/events/{event_id}/rsvp",
    response={200: RsvpOut, **ERRORS},
    summary="Answer an event: going, maybe or not going",
    description=(
        "For members, before the event ends, not for a cancelled event (403). Idempotent: "
        "sending the same answer again changes nothing (a place on the waiting list is kept)."
    ),
)
def event_rsvp(
    request: HttpRequest,
    payload: RsvpIn,
    slug: str = Slug,
    event_id: int = ObjectId,
):
    caller = caller_for(request, WRITE)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    rsvp = services.rsvp_set(event=event, user=caller.user, answer=payload.answer)
    return {"answer": rsvp.answer, "waitlist_position": selectors.waitlist_position(rsvp=rsvp)}


class EventIn(StrictInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EVENT_EXAMPLE})

    kind: Kind = "meetup"
    title: Text = Field(min_length=1, max_length=services.TITLE_MAX_LENGTH)
    description: Text = Field("", max_length=services.DESCRIPTION_MAX_LENGTH)
    starts_at: Moment = Field(description="With its offset, e.g. 2027-03-02T17:00:00Z.")
    ends_at: Moment
    timezone: Text = Field(max_length=64, description="The IANA name shown to members.")
    place: Text = Field("", max_length=services.PLACE_MAX_LENGTH)
    online_url: Text = Field("", max_length=services.URL_MAX_LENGTH)
    capacity: int | None = Field(
        None, ge=1, le=services.CAPACITY_MAX, description="Places; null for no limit."
    )


class EventPatch(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"place": "Ward 5 seminar room", "capacity": 25}},
    )

    kind: Kind | None = None
    title: Text | None = Field(None, min_length=1, max_length=services.TITLE_MAX_LENGTH)
    description: Text | None = Field(None, max_length=services.DESCRIPTION_MAX_LENGTH)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    timezone: Text | None = Field(None, max_length=64)
    place: Text | None = Field(None, max_length=services.PLACE_MAX_LENGTH)
    online_url: Text | None = Field(None, max_length=services.URL_MAX_LENGTH)
    capacity: int | None = Field(
        None, ge=1, le=services.CAPACITY_MAX, description="Send null to lift the limit."
    )


class CancelIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"reason": "The room is flooded."}}
    )

    reason: Text = Field("", max_length=500, description="Sent to everyone who may come.")


@router.post(
    "/communities/{slug}/events",
    response={201: EventDetail, **ERRORS},
    summary="Create an event (moderators, `moderate` scope)",
    description="Says where it happens: a place, an online link, or both. Members are 403.",
)
def event_create(request: HttpRequest, payload: EventIn, slug: str = Slug):
    caller = caller_for(request, MODERATE)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    event = services.event_create(community=community, by=caller.user, **payload.model_dump())
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event.pk)
    return Status(201, _detail(caller.user, event))


@router.patch(
    "/communities/{slug}/events/{event_id}",
    response={200: EventDetail, **ERRORS},
    summary="Change an event (moderators, `moderate` scope)",
    description=(
        "Fields left out (or null) stay as they are; a null capacity lifts the limit. "
        "Everyone who may come is told; a cancelled event "
        "can no longer be changed (400)."
    ),
)
def event_update(
    request: HttpRequest,
    payload: EventPatch,
    slug: str = Slug,
    event_id: int = ObjectId,
):
    caller = caller_for(request, MODERATE)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    fields = {name: getattr(event, name) for name in services.EDITABLE_FIELDS}
    # Left out, or null, a field stays as it is; only the capacity's null means something
    # (no limit).
    changes = payload.model_dump(exclude_unset=True)
    fields.update({k: v for k, v in changes.items() if v is not None or k == "capacity"})
    services.event_update(event=event, by=caller.user, **fields)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    return _detail(caller.user, event)


@router.post(
    "/communities/{slug}/events/{event_id}/cancel",
    response={200: EventDetail, **ERRORS},
    summary="Cancel an event (moderators, `moderate` scope)",
    description="Everyone who may come is told. Cancelling again is harmless.",
)
def event_cancel(
    request: HttpRequest,
    payload: CancelIn,
    slug: str = Slug,
    event_id: int = ObjectId,
):
    caller = caller_for(request, MODERATE)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    services.event_cancel(event=event, by=caller.user, reason=payload.reason)
    event = permissions.access_event(user=caller.user, slug=slug, event_id=event_id)
    return _detail(caller.user, event)
