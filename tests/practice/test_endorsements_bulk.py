"""The bulk variants of ``vote_toggle`` and ``adoption_report`` (the demo seed uses them)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from communities.models import Interaction
from practice.models import AdoptionReport, Post, Thread, Vote
from practice.services import endorsements
from practice.services.threads import post_hide
from tests.practice.factories import answer, ask, member_of, moderator_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(open_community):
    community = open_community
    asker, helper, other = member_of(community), member_of(community), member_of(community)
    voters = [member_of(community) for _ in range(3)]
    thread = ask(community, asker)
    posts = [thread.opening_post, answer(thread, helper), answer(thread, other)]
    return community, thread, posts, voters


def _state(thread) -> dict:
    """What the votes left, without ids: rows, their log, the counters."""
    vote_type = ContentType.objects.get_for_model(Vote)
    votes = {v.pk: (v.post_id, v.voter_id) for v in Vote.objects.filter(post__thread=thread)}
    return {
        "votes": sorted(
            Vote.objects.filter(post__thread=thread).values_list(
                "post_id", "voter_id", "created_at"
            )
        ),
        "log": sorted(
            (actor, target, kind, at, votes[source])
            for actor, target, kind, at, source in Interaction.objects.filter(
                source_type=vote_type
            ).values_list("actor_id", "target_id", "kind", "occurred_at", "source_id")
        ),
        "posts": sorted(
            Post.objects.filter(thread=thread).values_list("pk", "helpful_count", "worked_count")
        ),
        "thread": Thread.objects.get(pk=thread.pk).helpful_count,
    }


def _sequence(posts, voters):
    start = timezone.now() - timedelta(days=3)
    a, b, c = voters
    p0, p1, p2 = posts
    steps = [(p1, a), (p2, a), (p1, b), (p1, a), (p0, c), (p2, b), (p1, a), (p2, c), (p2, b)]
    return [(post, voter, start + timedelta(hours=i)) for i, (post, voter) in enumerate(steps)]


def test_votes_record_writes_what_vote_toggle_writes(scene):
    _community, thread, posts, voters = scene
    # A vote that stood before the batch, taken back and made again in it.
    endorsements.vote_toggle(post=posts[2], voter=voters[1], at=timezone.now() - timedelta(days=5))
    sequence = _sequence(posts, voters)

    with transaction.atomic():
        one_by_one = [endorsements.vote_toggle(post=p, voter=v, at=at) for p, v, at in sequence]
        expected = _state(thread)
        transaction.set_rollback(True)

    assert endorsements.votes_record(votes=sequence) == one_by_one
    assert _state(thread) == expected
    assert expected["thread"] == sum(count for _pk, count, _w in expected["posts"]) > 0


def test_votes_record_numbers_votes_in_the_order_they_were_made(scene):
    _community, _thread, posts, voters = scene
    a, b, _c = voters
    at = timezone.now() - timedelta(days=1)
    votes = [(posts[1], a, at), (posts[1], a, at), (posts[2], b, at), (posts[1], b, at)]
    assert endorsements.votes_record(votes=votes) == [True, False, True, True]
    kept = list(Vote.objects.order_by("pk").values_list("post_id", "voter_id", "pk"))
    assert [(p, v) for p, v, _pk in kept] == [(posts[2].pk, b.pk), (posts[1].pk, b.pk)]
    # The vote taken back used an id, as it does when votes are toggled one by one.
    assert kept[1][2] - kept[0][2] == 1 and kept[0][2] > 1


def test_votes_record_skips_refused_votes(scene):
    community, _thread, posts, voters = scene
    helper = posts[1].author
    post_hide(post=posts[2], by=moderator_of(community))
    results = endorsements.votes_record(
        votes=[(posts[1], helper, None), (posts[2], voters[0], None), (posts[1], voters[0], None)]
    )
    assert isinstance(results[0], PermissionDenied)  # one's own post
    assert isinstance(results[1], PermissionDenied)  # a hidden post
    assert results[2] is True
    assert list(Vote.objects.values_list("post_id", "voter_id")) == [(posts[1].pk, voters[0].pk)]
    assert Post.objects.get(pk=posts[1].pk).helpful_count == 1
    assert Post.objects.get(pk=posts[2].pk).helpful_count == 0


def test_votes_record_of_nothing_writes_nothing(scene):
    assert endorsements.votes_record(votes=[]) == []
    assert not Vote.objects.exists()


def _reports_state(thread) -> dict:
    """What the reports left, without ids."""
    report_type = ContentType.objects.get_for_model(AdoptionReport)
    reports = AdoptionReport.objects.filter(post__thread=thread)
    by_id = {r.pk: (r.post_id, r.member_id) for r in reports}
    return {
        "reports": sorted(
            reports.values_list(
                "post_id", "member_id", "worked", "note", "created_at", "updated_at"
            )
        ),
        "log": sorted(
            (actor, target, kind, at, by_id[source])
            for actor, target, kind, at, source in Interaction.objects.filter(
                source_type=report_type
            ).values_list("actor_id", "target_id", "kind", "occurred_at", "source_id")
        ),
        "posts": sorted(
            Post.objects.filter(thread=thread).values_list(
                "pk", "worked_count", "did_not_work_count"
            )
        ),
    }


def test_adoption_reports_record_writes_what_adoption_report_writes(scene):
    _community, thread, posts, voters = scene
    a, b, c = voters
    start = timezone.now() - timedelta(days=9)
    # A report made before the batch that changes its mind in it, twice.
    endorsements.adoption_report(post=posts[1], member=c, worked=True, at=start)
    steps = [
        (posts[1], a, True, ""),
        (posts[2], a, False, "Did not   fit our ward"),
        (posts[1], b, True, ""),
        (posts[1], a, False, "On second thoughts, no"),
        (posts[1], c, False, "It stopped working"),
        (posts[2], a, False, "A different note"),
        (posts[1], c, True, ""),
        (posts[2], b, True, "x" * 501),  # too long: refused
        (posts[1], posts[1].author, True, ""),  # one's own post: refused
    ]
    reports = [(p, m, w, n, start + timedelta(hours=i + 1)) for i, (p, m, w, n) in enumerate(steps)]

    with transaction.atomic():
        one_by_one = []
        for post, member, worked, note, at in reports:
            try:
                endorsements.adoption_report(
                    post=post, member=member, worked=worked, note=note, at=at
                )
                one_by_one.append("ok")
            except (PermissionDenied, ValidationError) as refusal:
                one_by_one.append(type(refusal))
        expected = _reports_state(thread)
        transaction.set_rollback(True)

    results = endorsements.adoption_reports_record(reports=reports)
    assert [type(r) if isinstance(r, Exception) else "ok" for r in results] == one_by_one
    assert one_by_one[-2:] == [ValidationError, PermissionDenied]
    assert _reports_state(thread) == expected
    assert any(worked for *_r, worked, _n, _c, _u in expected["reports"])
