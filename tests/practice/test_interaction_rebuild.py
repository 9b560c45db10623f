"""The practice services' interaction log equals what ``rebuild_interactions`` derives."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from communities.models import Interaction, Membership
from practice.services import endorsements, events, moderation
from practice.services import threads as services
from tests.factories import CommunityFactory, UserFactory, make_member
from tests.practice.factories import answer, ask, discuss, member_of

pytestmark = pytest.mark.django_db
Kind = Interaction.Kind


def snapshot(**filters) -> set[tuple]:
    return set(
        Interaction.objects.filter(**filters).values_list(
            "community_id", "actor_id", "target_id", "kind", "occurred_at",
            "source_type_id", "source_id", "group_size",
        )
    )  # fmt: skip


@pytest.fixture
def content():
    """Two communities with every kind of interaction the practice services write."""
    first = CommunityFactory(slug="wound-care", visibility="open")
    second = CommunityFactory(slug="tissue-viability", visibility="open")
    moderator = UserFactory(username="mod")
    for community in (first, second):
        make_member(community, moderator, role=Membership.Role.MODERATOR)
    asker = member_of(first, username="asker")
    bea, cal, dev = (member_of(first, username=name) for name in ("bea", "cal", "dev"))
    for person in (asker, bea, cal):
        make_member(second, person)

    question = ask(first, asker, body="Sloughy heel wound, any ideas? @bea may know.")
    first_answer = answer(question, bea, body="Hydrofibre under a foam.")
    second_answer = answer(question, cal, body="Honey for two weeks, then review.")
    answer(question, asker, body="Thanks @bea, trying it.", reply_to=first_answer)
    hidden = answer(question, dev, body="Off-topic answer.")
    services.post_hide(post=hidden, by=dev)
    endorsements.answer_accept(answer=first_answer, by=asker)
    endorsements.answer_accept(answer=second_answer, by=asker)  # a changed accept

    endorsements.vote_toggle(post=first_answer, voter=dev)
    endorsements.vote_toggle(post=first_answer, voter=cal)
    endorsements.vote_toggle(post=second_answer, voter=dev)
    endorsements.vote_toggle(post=second_answer, voter=dev)  # withdrawn

    endorsements.adoption_report(post=first_answer, member=dev, worked=True)
    endorsements.adoption_report(post=first_answer, member=cal, worked=False, note="No change.")
    endorsements.adoption_report(post=first_answer, member=cal, worked=True)  # flipped to worked
    endorsements.adoption_report(post=second_answer, member=bea, worked=True)
    endorsements.adoption_report(post=second_answer, member=bea, worked=False)  # flipped back

    services.post_edit(post=second_answer, by=cal, body="Honey for two weeks. cc @dev")

    moved = discuss(first, asker, title="Night shifts and dressings")
    reply = answer(moved, bea, body="We batch them at 6am.")
    answer(moved, cal, body="@bea same here.", reply_to=reply)
    endorsements.vote_toggle(post=reply, voter=cal)
    endorsements.adoption_report(post=reply, member=asker, worked=True)
    moderation.thread_move(thread=moved, to_community=second, by=moderator)

    now = timezone.now()
    event = events.event_create(
        community=first,
        by=moderator,
        title="Case review evening",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        timezone="Europe/London",
        place="Room 2",
    )
    for person in (asker, bea, cal):
        events.rsvp_set(event=event, user=person, answer="going")
    events.attendance_record(event=event, by=moderator, attendee_ids=[asker.pk, bea.pk, cal.pk])
    return first, second


def test_rebuild_interactions_reproduces_the_services_log(content):
    first, second = content
    before = snapshot()
    kinds = {row[3] for row in before}
    assert kinds == {
        Kind.ANSWER, Kind.REPLY, Kind.ACCEPT, Kind.VOTE, Kind.WORKED, Kind.MENTION,
        Kind.CO_ATTENDANCE,
    }  # fmt: skip
    assert {row[0] for row in before} == {first.pk, second.pk}  # the moved thread went along

    call_command("rebuild_interactions", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert snapshot() == before


def test_rebuild_interactions_keeps_changed_accepts_withdrawn_votes_and_flips(content):
    first, _ = content
    accepts = Interaction.objects.filter(kind=Kind.ACCEPT)
    assert [(a.actor.username, a.target.username) for a in accepts] == [("asker", "cal")]
    votes = Interaction.objects.filter(kind=Kind.VOTE, community=first)
    assert sorted((v.actor.username, v.target.username) for v in votes) == [
        ("cal", "bea"),
        ("dev", "bea"),
    ]
    worked = Interaction.objects.filter(kind=Kind.WORKED, community=first)
    assert sorted((w.actor.username, w.target.username) for w in worked) == [
        ("cal", "bea"),
        ("dev", "bea"),
    ]
    mentions = Interaction.objects.filter(kind=Kind.MENTION, community=first)
    assert sorted((m.actor.username, m.target.username) for m in mentions) == [
        ("asker", "bea"),
        ("asker", "bea"),  # once in the question, once in the follow-up reply
        ("cal", "dev"),  # added by an edit
    ]
    before = snapshot()
    call_command("rebuild_interactions", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == before


def test_rebuild_interactions_per_community_repairs_only_that_community(content):
    first, second = content
    before_first, before_second = snapshot(community=first), snapshot(community=second)
    assert before_first and before_second
    Interaction.objects.filter(community=first, kind=Kind.ANSWER).delete()
    Interaction.objects.filter(community=second).delete()

    call_command("rebuild_interactions", first.slug, stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert snapshot(community=first) == before_first
    assert snapshot(community=second) == set()  # not asked for, not touched
    call_command("rebuild_interactions", second.slug, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot(community=second) == before_second
