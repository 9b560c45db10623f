import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from communities.models import Interaction, Membership
from notifications.models import Notification
from practice.models import RSVP, Event, ModerationAction
from practice.services import events as services
from tests.factories import CommunityFactory, UserFactory, make_member
from tests.practice.factories import member_of, moderator_of

Answer = RSVP.Answer


def make_event(community, by, *, starts_in=timedelta(days=7), hours=2, **overrides):
    starts = timezone.now() + starts_in
    fields = {
        "title": "Wound care meetup",
        "kind": "meetup",
        "description": "Bring **questions**.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=hours),
        "timezone": "Europe/Paris",
        "place": "Room 4, St Mary's",
        "online_url": "",
        "capacity": None,
    }
    fields.update(overrides)
    return services.event_create(community=community, by=by, **fields)


def event_fields(event, **changes):
    fields = {name: getattr(event, name) for name in services.EDITABLE_FIELDS}
    fields.update(changes)
    return fields


def answers(event):
    return dict(RSVP.objects.filter(event=event).values_list("user__username", "answer"))


@pytest.mark.django_db
class TestEventCreateUpdateCancel:
    def test_event_create_renders_description_and_logs(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod, description="<script>x</script> **hi**")
        assert "<strong>hi</strong>" in event.description_html
        assert "<script>" not in event.description_html
        assert event.sequence == 0
        log = ModerationAction.objects.get(community=open_community)
        assert log.action == ModerationAction.Action.EVENT and log.moderator == mod

    def test_event_create_refuses_members(self, open_community):
        member = member_of(open_community)
        with pytest.raises(PermissionDenied):
            make_event(open_community, member)
        assert not Event.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"ends_at": "same-as-start"}, "ends_at"),
            ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
            ({"online_url": "javascript:alert(1)"}, "online_url"),
            ({"online_url": "JaVaScRiPt:alert(1)"}, "online_url"),
            ({"online_url": "data:text/html,<script>"}, "online_url"),
            ({"capacity": -1}, "capacity"),
            ({"capacity": 0}, "capacity"),
            ({"title": "x" * 10_000}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "nul\x00title"}, "title"),
            ({"description": "x" * 20_001}, "description"),
            ({"place": "", "online_url": ""}, "place"),
            ({"kind": "party"}, "kind"),
            ({"starts_at": timezone.now().replace(tzinfo=None)}, "starts_at"),
        ],
    )
    def test_event_create_rejects_bad_input(self, open_community, changes, field):
        mod = moderator_of(open_community)
        if changes.get("ends_at") == "same-as-start":
            start = timezone.now() + timedelta(days=1)
            changes = {"starts_at": start, "ends_at": start - timedelta(minutes=1)}
        with pytest.raises(ValidationError) as info:
            make_event(open_community, mod, **changes)
        assert field in info.value.message_dict
        assert not Event.objects.exists()

    def test_event_update_bumps_sequence_and_notifies_interested(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod)
        going, maybe, waiting, no = (member_of(open_community) for _ in range(4))
        services.rsvp_set(event=event, user=going, answer=Answer.GOING)
        services.rsvp_set(event=event, user=maybe, answer=Answer.MAYBE)
        services.rsvp_set(event=event, user=no, answer=Answer.NOT_GOING)
        RSVP.objects.create(
            event=event, user=waiting, answer=Answer.WAITLIST, updated_at=timezone.now()
        )
        event = services.event_update(
            event=event, by=mod, **event_fields(event, place="Room 5", description="New *text*")
        )
        assert event.sequence == 1
        assert event.place == "Room 5" and "<em>text</em>" in event.description_html
        notified = set(event.notices.filter(kind="event").values_list("recipient", flat=True))
        # Capacity is unlimited, so the waiting person got a place (and a notice) too.
        assert notified == {going.pk, maybe.pk, waiting.pk}
        assert ModerationAction.objects.filter(action="event").count() == 2

    def test_event_update_without_change_is_a_no_op(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod)
        services.rsvp_set(event=event, user=member_of(open_community), answer=Answer.GOING)
        same = services.event_update(event=event, by=mod, **event_fields(event))
        assert same.sequence == 0
        assert not Notification.objects.exists()

    def test_event_update_refuses_members(self, open_community):
        event = make_event(open_community, moderator_of(open_community))
        with pytest.raises(PermissionDenied):
            services.event_update(
                event=event, by=member_of(open_community), **event_fields(event, title="Mine")
            )

    def test_event_cancel_notifies_once_and_is_idempotent(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod)
        member = member_of(open_community)
        services.rsvp_set(event=event, user=member, answer=Answer.GOING)
        services.event_cancel(event=event, by=mod, reason="Snow")
        event = services.event_cancel(event=event, by=mod, reason="Snow again")
        assert event.cancelled_at is not None and event.sequence == 1
        notice = Notification.objects.get(recipient=member)
        assert "cancelled" in notice.text and "Snow" in notice.text
        with pytest.raises(PermissionDenied):
            services.rsvp_set(event=event, user=member, answer=Answer.MAYBE)

    def test_event_update_notifies_only_current_readers_of_private(self, private_community):
        mod = moderator_of(private_community)
        event = make_event(private_community, mod)
        stays, leaves = member_of(private_community), member_of(private_community)
        for person in (stays, leaves):
            services.rsvp_set(event=event, user=person, answer=Answer.GOING)
        Membership.objects.filter(user=leaves).update(state=Membership.State.LEFT)
        services.event_update(event=event, by=mod, **event_fields(event, title="Moved"))
        assert set(Notification.objects.values_list("recipient", flat=True)) == {stays.pk}


@pytest.mark.django_db
class TestRSVP:
    def test_rsvp_set_fills_places_then_waitlists(self, open_community):
        event = make_event(open_community, moderator_of(open_community), capacity=2)
        people = [member_of(open_community, username=f"p{i}") for i in range(4)]
        results = [services.rsvp_set(event=event, user=p, answer="going").answer for p in people]
        assert results == [Answer.GOING, Answer.GOING, Answer.WAITLIST, Answer.WAITLIST]

    def test_rsvp_set_is_idempotent_and_keeps_waitlist_order(self, open_community):
        event = make_event(open_community, moderator_of(open_community), capacity=1)
        a, b, c = (member_of(open_community, username=n) for n in "abc")
        for person in (a, b, c):
            services.rsvp_set(event=event, user=person, answer="going")
        before = RSVP.objects.get(event=event, user=b).updated_at
        again = services.rsvp_set(event=event, user=b, answer="going")
        assert again.answer == Answer.WAITLIST and again.updated_at == before
        assert RSVP.objects.filter(event=event).count() == 3

    def test_rsvp_set_promotes_first_waiting_and_notifies(self, open_community):
        event = make_event(open_community, moderator_of(open_community), capacity=1)
        a, b, c = (member_of(open_community, username=n) for n in "abc")
        for person in (a, b, c):
            services.rsvp_set(event=event, user=person, answer="going")
        services.rsvp_set(event=event, user=a, answer="not_going")
        assert answers(event) == {"a": Answer.NOT_GOING, "b": Answer.GOING, "c": Answer.WAITLIST}
        notice = Notification.objects.get(kind="event")
        assert notice.recipient == b and "place opened up" in notice.text
        # Coming back puts a at the end of the line.
        assert services.rsvp_set(event=event, user=a, answer="going").answer == Answer.WAITLIST
        services.rsvp_set(event=event, user=b, answer="maybe")
        assert answers(event)["c"] == Answer.GOING and answers(event)["a"] == Answer.WAITLIST

    def test_rsvp_set_from_waitlist_to_maybe_frees_line_position(self, open_community):
        event = make_event(open_community, moderator_of(open_community), capacity=1)
        a, b = member_of(open_community), member_of(open_community)
        services.rsvp_set(event=event, user=a, answer="going")
        services.rsvp_set(event=event, user=b, answer="going")
        assert services.rsvp_set(event=event, user=b, answer="maybe").answer == Answer.MAYBE
        services.rsvp_set(event=event, user=a, answer="not_going")
        assert RSVP.objects.get(user=b).answer == Answer.MAYBE

    def test_event_update_raising_capacity_promotes_waiting(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod, capacity=1)
        people = [member_of(open_community) for _ in range(3)]
        for person in people:
            services.rsvp_set(event=event, user=person, answer="going")
        services.event_update(event=event, by=mod, **event_fields(event, capacity=2))
        assert RSVP.objects.filter(event=event, answer=Answer.GOING).count() == 2
        assert RSVP.objects.filter(event=event, answer=Answer.WAITLIST).count() == 1

    def test_rsvp_set_refuses_non_members_bad_answers_and_past_events(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod)
        with pytest.raises(PermissionDenied):
            services.rsvp_set(event=event, user=UserFactory(), answer="going")
        with pytest.raises(ValidationError):
            services.rsvp_set(event=event, user=member_of(open_community), answer="waitlist")
        past = make_event(open_community, mod, starts_in=timedelta(days=-2))
        with pytest.raises(ValidationError):
            services.rsvp_set(event=past, user=member_of(open_community), answer="going")
        assert not RSVP.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rsvp_set_concurrent_going_fills_capacity_exactly():
    community = CommunityFactory()
    event = make_event(community, moderator_of(community), capacity=5)
    people = [member_of(community) for _ in range(20)]
    barrier = threading.Barrier(len(people))
    errors = []

    def go(user):
        try:
            barrier.wait()
            services.rsvp_set(event=Event.objects.get(pk=event.pk), user=user, answer="going")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = {a: RSVP.objects.filter(event=event, answer=a).count() for a in Answer.values}
    assert counts[Answer.GOING] == 5 and counts[Answer.WAITLIST] == 15


@pytest.mark.django_db
class TestAttendance:
    def test_attendance_record_writes_co_attendance_equal_to_rebuild(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod, starts_in=timedelta(hours=-3))
        a, b, c, d = (member_of(open_community, username=n) for n in "abcd")
        RSVP.objects.create(event=event, user=a, answer="going", updated_at=timezone.now())
        RSVP.objects.create(event=event, user=d, answer="going", updated_at=timezone.now())
        count = services.attendance_record(event=event, by=mod, attendee_ids=[a.pk, b.pk, c.pk])
        assert count == 3
        assert set(RSVP.objects.filter(attended=True).values_list("user__username", flat=True)) == {
            "a",
            "b",
            "c",
        }
        rows = Interaction.objects.filter(kind=Interaction.Kind.CO_ATTENDANCE)
        assert rows.count() == 6  # 3 people, both directions of each pair
        assert set(rows.values_list("occurred_at", flat=True)) == {event.starts_at}
        assert set(rows.values_list("group_size", flat=True)) == {3}

        def snapshot():
            return sorted(
                Interaction.objects.values_list(
                    "community_id", "actor_id", "target_id", "kind", "occurred_at",
                    "source_type_id", "source_id", "group_size",
                )
            )  # fmt: skip

        before = snapshot()
        call_command("rebuild_interactions")
        assert snapshot() == before

    def test_attendance_record_rewrites_instead_of_adding(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod, starts_in=timedelta(hours=-3))
        a, b, c = (member_of(open_community) for _ in range(3))
        services.attendance_record(event=event, by=mod, attendee_ids=[a.pk, b.pk, c.pk])
        services.attendance_record(event=event, by=mod, attendee_ids=[a.pk, b.pk])
        pairs = set(Interaction.objects.values_list("actor_id", "target_id"))
        assert pairs == {(a.pk, b.pk), (b.pk, a.pk)}
        assert not RSVP.objects.get(user=c).attended
        assert ModerationAction.objects.filter(action="attendance").count() == 2

    def test_event_update_moves_co_attendance_with_start(self, open_community):
        mod = moderator_of(open_community)
        event = make_event(open_community, mod, starts_in=timedelta(hours=-3))
        a, b = member_of(open_community), member_of(open_community)
        services.attendance_record(event=event, by=mod, attendee_ids=[a.pk, b.pk])
        new_start = event.starts_at - timedelta(hours=1)
        event = services.event_update(
            event=event, by=mod, **event_fields(event, starts_at=new_start)
        )
        assert set(Interaction.objects.values_list("occurred_at", flat=True)) == {new_start}

    def test_attendance_record_refuses_members_future_and_outsiders(self, open_community):
        mod = moderator_of(open_community)
        member = member_of(open_community)
        past = make_event(open_community, mod, starts_in=timedelta(hours=-3))
        with pytest.raises(PermissionDenied):
            services.attendance_record(event=past, by=member, attendee_ids=[member.pk])
        future = make_event(open_community, mod)
        with pytest.raises(ValidationError):
            services.attendance_record(event=future, by=mod, attendee_ids=[member.pk])
        outsider = UserFactory()
        other = CommunityFactory()
        make_member(other, outsider)
        with pytest.raises(ValidationError):
            services.attendance_record(event=past, by=mod, attendee_ids=[member.pk, outsider.pk])
        with pytest.raises(ValidationError):
            services.attendance_record(event=past, by=mod, attendee_ids=["x"])
        assert not RSVP.objects.exists() and not Interaction.objects.exists()
