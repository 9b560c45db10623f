"""The demo's practice activity: every kind of content, believable, idempotent, rebuildable."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from communities.models import Community, Interaction, Membership
from demo import communities as community_demo
from demo import practice as demo
from demo.data import phrases as demo_text
from notifications.models import Notification
from practice.models import (
    RSVP,
    AdoptionReport,
    Event,
    Flag,
    Follow,
    Post,
    PostMention,
    PostRevision,
    Thread,
    Vote,
)

WEEKS = 6  # a small demo: enough for every kind of activity, quick to build
pytestmark = [pytest.mark.django_db]


def devnull():
    return open("/dev/null", "w")  # noqa: SIM115


@pytest.fixture(scope="module")
def summary(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", "--no-activity", stdout=devnull())
            yield demo.activity_build(weeks=WEEKS)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def counts() -> dict[str, int]:
    models = (Thread, Post, Vote, AdoptionReport, PostMention, PostRevision, Follow, Flag,
              Notification, Event, RSVP)  # fmt: skip
    found = {model.__name__: model.objects.count() for model in models}
    # The first seed_demo run over this module's activity also builds the repertoire, whose
    # co-edits and "I used this" reports are interactions of their own (tests/knowledge/test_demo).
    found["Interaction"] = Interaction.objects.exclude(source_type__app_label="knowledge").count()
    return found


def test_activity_build_applies_every_planned_item(summary):
    assert summary.failures == []
    assert summary.communities == len(community_demo.COMMUNITIES)
    assert summary.counts["thread"] > 100


def test_activity_build_writes_every_kind_of_thread_and_outcome(summary):
    # A few weeks in a small community may hold no story yet; the larger ones have every kind.
    for community in Community.objects.filter(slug__in=community_demo.DEMO_SLUGS):
        kinds = set(Thread.objects.filter(community=community).values_list("kind", flat=True))
        assert "question" in kinds, community.slug
        if Thread.objects.filter(community=community).count() >= 15:
            assert kinds == set(Thread.Kind.values), community.slug
    questions = Thread.objects.filter(kind=Thread.Kind.QUESTION)
    assert questions.filter(accepted_post__isnull=False, status=Thread.Status.SOLVED).exists()
    assert questions.filter(accepted_post__isnull=True, answer_count__gt=0).exists()
    assert questions.filter(answer_count=0).exists()  # unanswered ones for helpers to find
    assert Post.objects.filter(reply_to__isnull=False).exists()  # quotes
    assert Vote.objects.exists()
    assert AdoptionReport.objects.filter(worked=True).exists()
    assert AdoptionReport.objects.filter(worked=False).exclude(note="").exists()
    assert PostMention.objects.exists()
    assert PostRevision.objects.exists()
    assert set(Follow.objects.values_list("target", flat=True)) == set(Follow.Target.values)
    assert Flag.objects.exists()  # recent ones wait in the queue; older ones were dismissed
    if demo.event_services is not None:
        assert RSVP.objects.filter(attended=True).exists()
        assert Event.objects.filter(starts_at__gt=timezone.now()).exists()  # coming up
        assert Interaction.objects.filter(kind=Interaction.Kind.CO_ATTENDANCE).exists()


def test_activity_build_counters_match_their_rows(summary):
    thread = Thread.objects.filter(answer_count__gt=2).order_by("pk").first()
    visible = Post.objects.filter(thread=thread, is_hidden=False, is_opening=False)
    assert thread.reply_count == visible.count()
    assert thread.answer_count == visible.filter(is_answer=True).count()
    for post in Post.objects.filter(helpful_count__gt=0)[:50]:
        assert post.helpful_count == Vote.objects.filter(post=post).count()


def test_activity_build_spreads_time_and_respects_joining(summary):
    now = timezone.now()
    created = list(Thread.objects.values_list("created_at", flat=True))
    assert min(created) < now - timedelta(weeks=WEEKS - 1)
    assert max(created) > now - timedelta(weeks=1)
    assert max(created) <= now
    joined = {
        (m.community_id, m.user_id): m.joined_at
        for m in Membership.objects.filter(state=Membership.State.ACTIVE)
    }
    for community_id, author_id, at in Post.objects.values_list(
        "community_id", "author_id", "created_at"
    ):
        assert joined[community_id, author_id] < at
    # Interactions carry the content's own moments, not the moment of seeding.
    assert Interaction.objects.filter(occurred_at__lt=now - timedelta(weeks=2)).exists()


def test_activity_build_core_group_answers_while_many_ask_once(summary):
    community = Community.objects.get(slug="learning-from-practice")
    answers = Counter(
        Post.objects.filter(community=community, is_answer=True).values_list("author_id", flat=True)
    )
    members = Membership.objects.filter(community=community, state="active").count()
    core = sum(n for _, n in answers.most_common(round(members * 0.15)))
    assert core / sum(answers.values()) > 0.6
    asked = Counter(
        Thread.objects.filter(community=community, kind="question").values_list(
            "author_id", flat=True
        )
    )
    once = sum(1 for n in asked.values() if n == 1)
    assert once > len(asked) / 2


def test_activity_build_bodies_read_like_each_practice(summary):
    assert Post.objects.filter(body_html__contains='<a class="mention"').exists()
    assert Post.objects.filter(body_html__contains="<ol>").exists()
    assert Post.objects.filter(body_html__contains="<pre>").exists()
    wound_tags = {tag for topic in demo_text.WOUND.topics for tag in topic.tags}
    tags = set(
        Thread.objects.filter(community__slug="wound-care-nurses").values_list(
            "tags__name", flat=True
        )
    )
    assert tags and tags <= wound_tags
    sre = Thread.objects.filter(community__slug="site-reliability-engineers")
    assert all("{" not in t.title and t.title[0].isupper() for t in sre)


def test_activity_build_leaves_old_notifications_read(summary):
    cutoff = timezone.now() - demo.NOTIFICATIONS_READ_AFTER
    assert Notification.objects.filter(created_at__lt=cutoff).exists()
    assert not Notification.objects.filter(created_at__lt=cutoff, read_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=True).exists()


def test_seed_demo_second_run_adds_no_activity(summary):
    before = counts()
    call_command("seed_demo", "--activity-weeks", str(WEEKS), stdout=devnull())
    assert counts() == before
    again = demo.activity_build(weeks=WEEKS)
    assert again.skipped_communities == len(community_demo.COMMUNITIES)
    assert sum(again.counts.values()) == 0
    assert counts() == before


def test_rebuild_interactions_reproduces_the_demo_log(summary):
    def snapshot():
        return set(
            Interaction.objects.values_list(
                "community_id", "actor_id", "target_id", "kind", "occurred_at",
                "source_type_id", "source_id", "group_size",
            )
        )  # fmt: skip

    before = snapshot()
    assert len(before) > 500
    call_command("rebuild_interactions", stdout=devnull())
    assert snapshot() == before
