"""Regenerate, from the practice content alone, every interaction its services log.

``communities.interactions.interactions_rebuild`` replays these; a test checks that a rebuild
reproduces exactly the log the services wrote.
"""

from itertools import groupby

from django.contrib.contenttypes.models import ContentType

from communities.interactions import InteractionSpec, group_specs
from communities.models import Interaction
from practice.models import RSVP, AdoptionReport, Post, PostMention, Thread, Vote

Kind = Interaction.Kind
# Rows read per round trip while rebuilding a large community.
CHUNK = 2000


def _scoped(qs, community_ids, field="community_id"):
    return qs if community_ids is None else qs.filter(**{f"{field}__in": community_ids})


def posts_source(community_ids):
    """Answers (answerer → asker) and replies (replier → quoted author or thread author)."""
    post_type = ContentType.objects.get_for_model(Post).pk
    qs = _scoped(Post.objects.filter(is_opening=False), community_ids).values_list(
        "pk", "community_id", "author_id", "is_answer", "created_at",
        "reply_to__author_id", "thread__author_id",
    )  # fmt: skip
    for pk, community_id, author_id, is_answer, at, quoted_author, asker in qs.iterator(CHUNK):
        yield InteractionSpec(
            community_id=community_id,
            actor_id=author_id,
            target_id=quoted_author if quoted_author is not None else asker,
            kind=Kind.ANSWER if is_answer else Kind.REPLY,
            occurred_at=at,
            source_type_id=post_type,
            source_id=pk,
        )


def accepts_source(community_ids):
    """Accepted answers: asker → answerer, at the time of accepting."""
    post_type = ContentType.objects.get_for_model(Post).pk
    qs = _scoped(Thread.objects.filter(accepted_post__isnull=False), community_ids).values_list(
        "community_id", "author_id", "accepted_post_id", "accepted_post__author_id", "accepted_at"
    )
    for community_id, asker, post_id, answerer, at in qs.iterator(CHUNK):
        yield InteractionSpec(
            community_id=community_id,
            actor_id=asker,
            target_id=answerer,
            kind=Kind.ACCEPT,
            occurred_at=at,
            source_type_id=post_type,
            source_id=post_id,
        )


def votes_source(community_ids):
    vote_type = ContentType.objects.get_for_model(Vote).pk
    qs = _scoped(Vote.objects.all(), community_ids, "post__community_id").values_list(
        "pk", "post__community_id", "voter_id", "post__author_id", "created_at"
    )
    for pk, community_id, voter, author, at in qs.iterator(CHUNK):
        yield InteractionSpec(community_id, voter, author, Kind.VOTE, at, vote_type, pk)


def adoption_source(community_ids):
    report_type = ContentType.objects.get_for_model(AdoptionReport).pk
    qs = _scoped(
        AdoptionReport.objects.filter(worked=True), community_ids, "post__community_id"
    ).values_list("pk", "post__community_id", "member_id", "post__author_id", "updated_at")
    for pk, community_id, member, author, at in qs.iterator(CHUNK):
        yield InteractionSpec(community_id, member, author, Kind.WORKED, at, report_type, pk)


def mentions_source(community_ids):
    post_type = ContentType.objects.get_for_model(Post).pk
    qs = _scoped(PostMention.objects.all(), community_ids, "post__community_id").values_list(
        "post_id", "post__community_id", "post__author_id", "user_id", "created_at"
    )
    for post_id, community_id, author, mentioned, at in qs.iterator(CHUNK):
        yield InteractionSpec(community_id, author, mentioned, Kind.MENTION, at, post_type, post_id)


def attendance_source(community_ids):
    """Co-attendance among everyone marked as attending an event, at the event's start."""
    qs = (
        _scoped(RSVP.objects.filter(attended=True), community_ids, "event__community_id")
        .select_related("event")
        .order_by("event_id", "user_id")
    )
    for _event_id, rows in groupby(qs.iterator(CHUNK), key=lambda r: r.event_id):
        rows = list(rows)
        event = rows[0].event
        yield from group_specs(
            community_id=event.community_id,
            member_ids=[r.user_id for r in rows],
            kind=Kind.CO_ATTENDANCE,
            occurred_at=event.starts_at,
            source=event,
        )
