from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import Interaction, Membership
from notifications.models import Notification
from practice import permissions
from practice.models import RSVP, Event
from practice.services import events as services
from tests.factories import CommunityFactory, UserFactory, make_admin
from tests.practice.factories import member_of, moderator_of
from tests.practice.test_events_services import make_event

pytestmark = pytest.mark.django_db


def url(name, event_or_community, *extra):
    if isinstance(event_or_community, Event):
        return reverse(
            f"practice:{name}",
            args=[event_or_community.community.slug, event_or_community.pk, *extra],
        )
    return reverse(f"practice:{name}", args=[event_or_community.slug, *extra])


def form_data(**changes):
    data = {
        "title": "Practice session: negative pressure",
        "kind": "practice",
        "starts_at": "2031-03-30T10:00",
        "ends_at": "2031-03-30T12:30",
        "timezone": "Europe/Paris",
        "place": "Skills lab, level 2",
        "online_url": "https://meet.example.org/abc",
        "capacity": "12",
        "description": "We try the **new** pumps.",
    }
    data.update(changes)
    return data


# --- lists and pages ---------------------------------------------------------------------------


def test_events_list_shows_upcoming_then_past_in_event_time_zone(client, open_community):
    mod = moderator_of(open_community)
    soon = make_event(open_community, mod, title="Soon", timezone="Asia/Tokyo")
    make_event(open_community, mod, title="Later", starts_in=timedelta(days=30))
    make_event(open_community, mod, title="Gone", starts_in=timedelta(days=-30))
    response = client.get(url("events", open_community))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Soon") < html.index("Later") < html.index("Past events") < html.index("Gone")
    local = soon.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") in html and "(Asia/Tokyo)" in html
    assert 'aria-current="page"' in html and ">Events</a>" in html


def test_events_list_empty_state_says_what_next(client, open_community):
    mod = moderator_of(open_community)
    client.force_login(mod)
    response = client.get(url("events", open_community))
    assert "Plan the first one" in response.content.decode()


def test_event_page_hides_online_link_from_non_members(client, open_community):
    event = make_event(
        open_community, moderator_of(open_community), online_url="https://call.example.org/x"
    )
    assert "call.example.org" not in client.get(event.get_absolute_url()).content.decode()
    client.force_login(member_of(open_community))
    assert "call.example.org" in client.get(event.get_absolute_url()).content.decode()


@pytest.mark.parametrize("name", ["events", "events_feed"])
def test_private_community_events_are_404_for_outsiders(client, private_community, name):
    make_event(private_community, moderator_of(private_community), title="CANARY-event")
    for user in (None, UserFactory()):
        if user:
            client.force_login(user)
        response = client.get(url(name, private_community))
        assert response.status_code == 404
        assert b"CANARY-event" not in response.content


def test_private_event_page_and_ics_are_404_for_outsiders(client, private_community):
    event = make_event(private_community, moderator_of(private_community), title="CANARY-event")
    pending = UserFactory()
    Membership.objects.create(
        community=private_community, user=pending, state=Membership.State.PENDING
    )
    for user in (None, UserFactory(), pending):
        if user:
            client.force_login(user)
        for name in ("event", "event_ics", "event_edit"):
            response = client.get(url(name, event))
            assert response.status_code in (404, 302), (name, user)
            assert b"CANARY-event" not in response.content
        for name in ("event_rsvp", "event_cancel", "event_attendance"):
            response = client.post(url(name, event), {"answer": "going"})
            assert response.status_code in (404, 302)
    assert not RSVP.objects.exists() and Event.objects.get().cancelled_at is None


def test_private_event_page_visible_to_members(client, private_community):
    event = make_event(private_community, moderator_of(private_community), title="Members only")
    client.force_login(member_of(private_community))
    assert client.get(event.get_absolute_url()).status_code == 200
    assert client.get(url("events", private_community)).status_code == 200


# --- managing ----------------------------------------------------------------------------------


def test_event_create_view_by_moderator_stores_time_in_chosen_zone(client, open_community):
    client.force_login(moderator_of(open_community))
    response = client.post(url("event_create", open_community), form_data())
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    # 10:00 in Paris on the day after the spring change is 08:00 UTC.
    assert event.starts_at.isoformat() == "2031-03-30T08:00:00+00:00"
    assert event.capacity == 12 and event.timezone == "Europe/Paris"


@pytest.mark.parametrize("name", ["event_create"])
def test_event_management_is_403_for_members(client, open_community, name):
    event = make_event(open_community, moderator_of(open_community))
    client.force_login(member_of(open_community))
    assert client.get(url("event_create", open_community)).status_code == 403
    assert client.post(url("event_create", open_community), form_data()).status_code == 403
    assert client.get(url("event_edit", event)).status_code == 403
    assert client.post(url("event_edit", event), form_data(title="Mine")).status_code == 403
    assert client.post(url("event_cancel", event)).status_code == 403
    assert Event.objects.get().title == "Wound care meetup" and Event.objects.count() == 1


def test_event_management_requires_login(client, open_community):
    response = client.get(url("event_create", open_community))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2031-03-30T09:00"}, "ends_at"),
        ({"timezone": "Not/AZone"}, "timezone"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"online_url": "jav&#x09;ascript:alert(1)"}, "online_url"),
        ({"capacity": "-1"}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"title": "t" * 10_000}, "title"),
        ({"starts_at": "yesterday-ish"}, "starts_at"),
        ({"description": "d" * 20_001}, "description"),
    ],
)
def test_event_create_view_bad_input_is_a_form_error(client, open_community, changes, field):
    client.force_login(moderator_of(open_community))
    data = form_data(**changes)
    response = client.post(url("event_create", open_community), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert not Event.objects.exists()
    if len(data["title"]) < 300:
        assert data["title"] in response.content.decode()  # what was typed is kept


def test_event_create_view_nul_is_400_not_500(client, open_community):
    client.force_login(moderator_of(open_community))
    response = client.post(url("event_create", open_community), form_data(title="a\x00b"))
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_event_edit_view_notifies_and_keeps_local_times(client, open_community):
    mod = moderator_of(open_community)
    client.force_login(mod)
    client.post(url("event_create", open_community), form_data())
    event = Event.objects.get()
    member = member_of(open_community)
    services.rsvp_set(event=event, user=member, answer="going")
    page = client.get(url("event_edit", event)).content.decode()
    assert 'value="2031-03-30T10:00"' in page
    response = client.post(url("event_edit", event), form_data(place="Room 9"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.place == "Room 9" and event.sequence == 1
    assert Notification.objects.filter(recipient=member, kind="event").count() == 1


def test_event_cancel_view(client, open_community):
    mod = moderator_of(open_community)
    event = make_event(open_community, mod)
    client.force_login(mod)
    response = client.post(url("event_cancel", event), {"reason": "Flooded"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.cancelled_at is not None
    assert "Cancelled" in client.get(event.get_absolute_url()).content.decode()


# --- RSVP and attendance -----------------------------------------------------------------------


def test_rsvp_view_going_then_waitlist(client, open_community):
    event = make_event(open_community, moderator_of(open_community), capacity=1)
    first, second = member_of(open_community), member_of(open_community)
    client.force_login(first)
    assert client.post(url("event_rsvp", event), {"answer": "going"}).status_code == 302
    client.force_login(second)
    client.post(url("event_rsvp", event), {"answer": "going"})
    page = client.get(event.get_absolute_url()).content.decode()
    assert "On the waiting list" in page and "number 1 in line" in page
    assert client.post(url("event_rsvp", event), {"answer": "waitlist"}).status_code == 302
    assert client.post(url("event_rsvp", event), {"answer": "x" * 5000}).status_code == 302
    assert RSVP.objects.get(user=second).answer == RSVP.Answer.WAITLIST


def test_rsvp_view_refuses_non_members_and_get(client, open_community):
    event = make_event(open_community, moderator_of(open_community))
    client.force_login(UserFactory())
    assert client.post(url("event_rsvp", event), {"answer": "going"}).status_code == 403
    assert client.get(url("event_rsvp", event)).status_code == 405
    assert not RSVP.objects.exists()


def test_attendance_view_records_and_writes_interactions(client, open_community):
    mod = moderator_of(open_community)
    event = make_event(open_community, mod, starts_in=timedelta(hours=-2))
    a = member_of(open_community, username="anna")
    b = member_of(open_community, username="bert")
    RSVP.objects.create(event=event, user=a, answer="going", updated_at=timezone.now())
    client.force_login(mod)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Record attendance" in page
    response = client.post(url("event_attendance", event), {"attendees": [a.pk], "others": "@Bert"})
    assert response.status_code == 302
    assert set(RSVP.objects.filter(attended=True).values_list("user_id", flat=True)) == {a.pk, b.pk}
    assert Interaction.objects.filter(kind="co_attendance").count() == 2


def test_attendance_view_bad_input(client, open_community):
    mod = moderator_of(open_community)
    event = make_event(open_community, mod, starts_in=timedelta(hours=-2))
    client.force_login(mod)
    bad = client.post(
        url("event_attendance", event), {"attendees": ["abc", "99999"], "others": "nobody"}
    )
    assert bad.status_code == 400 and "attendees" in bad.context["attendance_form"].errors
    unknown = client.post(url("event_attendance", event), {"others": "nobody, @ghost"})
    assert unknown.status_code == 400
    assert "Not members of this community: nobody, ghost." in unknown.content.decode()
    assert not RSVP.objects.exists()


def test_attendance_view_is_403_for_members_and_before_start(client, open_community):
    mod = moderator_of(open_community)
    past = make_event(open_community, mod, starts_in=timedelta(hours=-2))
    future = make_event(open_community, mod)
    member = member_of(open_community)
    client.force_login(member)
    assert client.post(url("event_attendance", past), {"attendees": [member.pk]}).status_code == 403
    client.force_login(mod)
    assert (
        client.post(url("event_attendance", future), {"attendees": [member.pk]}).status_code == 403
    )
    assert not RSVP.objects.exists()


# --- calendars ---------------------------------------------------------------------------------


def test_event_ics_download(client, open_community):
    event = make_event(open_community, moderator_of(open_community))
    response = client.get(url("event_ics", event))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert b"SUMMARY:Wound care meetup\r\n" in response.content


def test_private_feed_token_for_members_only(client, private_community):
    mod = moderator_of(private_community)
    make_event(
        private_community, mod, title="CANARY-event", online_url="https://call.example.org/p"
    )
    member = member_of(private_community)
    token = permissions.event_feed_token(user=member, community=private_community)
    feed = url("events_feed_private", private_community, token)
    client.logout()
    response = client.get(feed)
    assert response.status_code == 200 and b"CANARY-event" in response.content
    assert b"call.example.org" in response.content
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(url("events_feed_private", private_community, tampered)).status_code == 404
    other = permissions.event_feed_token(user=member, community=CommunityFactory())
    assert client.get(url("events_feed_private", private_community, other)).status_code == 404
    assert client.get(url("events_feed_private", private_community, "garbage")).status_code == 404
    Membership.objects.filter(user=member).update(state=Membership.State.LEFT)
    assert client.get(feed).status_code == 404
    Membership.objects.filter(user=member).update(state=Membership.State.ACTIVE)
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    assert client.get(feed).status_code == 404


def test_events_list_offers_personal_feed_to_members(client, private_community):
    member = member_of(private_community)
    client.force_login(member)
    html = client.get(url("events", private_community)).content.decode()
    assert "/events/feed/" in html and "events.ics" not in html.replace("/events/feed/", "")


def test_public_feed_hides_online_links_from_anonymous(client, open_community):
    make_event(
        open_community, moderator_of(open_community), online_url="https://call.example.org/o"
    )
    response = client.get(url("events_feed", open_community))
    assert response.status_code == 200 and b"Wound care meetup" in response.content
    assert b"call.example.org" not in response.content


def test_admin_reaches_private_events(client, private_community):
    event = make_event(private_community, moderator_of(private_community))
    client.force_login(make_admin())
    assert client.get(event.get_absolute_url()).status_code == 200


# --- query counts ------------------------------------------------------------------------------


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("viewer", ["member", "moderator", "anonymous"])
def test_events_list_query_count_is_constant(
    client, open_community, django_assert_max_num_queries, viewer
):
    mod = moderator_of(open_community)
    user = {"member": member_of(open_community), "moderator": mod, "anonymous": None}[viewer]
    if user:
        client.force_login(user)
    path = url("events", open_community)
    for i in range(5):
        make_event(open_community, mod, starts_in=timedelta(days=i + 1 if i % 2 else -i - 1))
    few = _queries(client, path)
    people = [member_of(open_community) for _ in range(3)]
    for i in range(45):
        days = i + 10 if i % 2 else -i - 10
        event = make_event(open_community, mod, starts_in=timedelta(days=days))
        if i % 2:
            for person in people:
                services.rsvp_set(event=event, user=person, answer="going")
    with django_assert_max_num_queries(few):
        response = client.get(path)
    html = response.content.decode()
    # 24 upcoming events, then the first page (25) of the 26 past ones.
    assert html.count('class="event-item') == 24 + 25
    assert html.count("3 going") == 22


@pytest.mark.parametrize("viewer", ["member", "moderator"])
def test_event_page_query_count_is_constant(
    client, open_community, django_assert_max_num_queries, viewer
):
    mod = moderator_of(open_community)
    event = make_event(open_community, mod, starts_in=timedelta(hours=-1), hours=5)
    client.force_login(mod if viewer == "moderator" else member_of(open_community))
    now = timezone.now()
    people = [member_of(open_community) for _ in range(100)]
    RSVP.objects.bulk_create(
        [RSVP(event=event, user=p, answer="going", updated_at=now) for p in people[:5]]
    )
    few = _queries(client, event.get_absolute_url())
    RSVP.objects.bulk_create(
        [RSVP(event=event, user=p, answer="maybe", updated_at=now) for p in people[5:]]
    )
    with django_assert_max_num_queries(few):
        response = client.get(event.get_absolute_url())
    assert "5 going · 95 maybe" in response.content.decode()
    if viewer == "moderator":
        assert response.content.decode().count('name="attendees"') == 100
