"""Bulk writes of past threads (``practice.services.history``) against the per-post services."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Model

from communities.models import Interaction, Membership
from practice.models import Follow, Post, PostMention, PostRevision, Thread
from practice.services import history
from practice.services import threads as thread_services
from search.models import SearchEntry
from tests.factories import CommunityFactory, make_member

T0 = datetime(2019, 5, 1, 9, 0, tzinfo=UTC)


def _written(community) -> dict:
    posts = list(Post.objects.filter(community=community).order_by("pk"))
    bodies = {p.pk: p.body for p in posts}
    return {
        "threads": [
            (t.title, t.kind, t.status, t.reply_count, t.created_at, t.last_activity_at,
             t.author_id, bodies[t.opening_post_id])
            for t in Thread.objects.filter(community=community).order_by("pk")
        ],
        "posts": [
            (p.author_id, p.is_opening, p.body, p.body_html, p.created_at, p.edited_at,
             bodies.get(p.reply_to_id))
            for p in posts
        ],
        "revisions": sorted(
            (bodies[r.post_id], r.number, r.title, r.body, r.editor_id, r.created_at)
            for r in PostRevision.objects.filter(post__community=community)
        ),
        "follows": sorted(
            (f.user_id, f.target, f.created_at) for f in Follow.objects.filter(community=community)
        ),
        "interactions": sorted(
            (i.kind, i.actor_id, i.target_id, i.occurred_at, bodies[i.source_id])
            for i in Interaction.objects.filter(community=community)
        ),
        "mentions": sorted(
            (bodies[m.post_id], m.user_id, m.created_at)
            for m in PostMention.objects.filter(post__community=community)
        ),
        "search": sorted(
            (e.kind, e.title, e.text, e.created_at, e.updated_at)
            for e in SearchEntry.objects.filter(community=community, kind__in=["thread", "post"])
        ),
    }  # fmt: skip


@pytest.mark.django_db
def test_history_write_writes_what_the_services_write():
    """One thread written post by post through the services, then the same in bulk into a
    second community by the same people: the same rows, row for row."""
    by_services = CommunityFactory(slug="services")
    in_bulk = CommunityFactory(slug="bulk")
    alice, bob, carol = (make_member(by_services).user for _ in range(3))
    for user in (alice, bob, carol):
        make_member(in_bulk, user)
    carol.username = "carol"
    carol.save(update_fields=["username"])
    whole = "Bob, it is hungry.\n\n> On Monday Alice wrote:\n> it smells, @carol"

    thread = thread_services.thread_create(
        community=by_services, author=alice, kind=Thread.Kind.DISCUSSION,
        title="Starter smells", body="It smells of **varnish**.", at=T0,
    )  # fmt: skip
    reply = thread_services.post_create(
        thread=thread, author=bob, body=whole, reply_to=thread.opening_post,
        at=T0 + timedelta(hours=1),
    )  # fmt: skip
    thread_services.post_edit(
        post=reply, by=bob, body="Bob, it is hungry.", at=T0 + timedelta(hours=1)
    )
    thread_services.post_create(
        thread=thread, author=alice, body="Thanks!", reply_to=reply, at=T0 + timedelta(hours=2)
    )
    thread_services.post_create(
        thread=thread, author=carol, body="Same here.", reply_to=thread.opening_post,
        at=T0 + timedelta(hours=3),
    )  # fmt: skip

    posts = [
        history.HistoryPost(author=alice, body="It smells of **varnish**.", at=T0),
        history.HistoryPost(
            author=bob, body="Bob, it is hungry.", original=whole, reply_to=0,
            at=T0 + timedelta(hours=1),
        ),
        history.HistoryPost(author=alice, body="Thanks!", reply_to=1, at=T0 + timedelta(hours=2)),
        history.HistoryPost(
            author=carol, body="Same here.", reply_to=0, at=T0 + timedelta(hours=3),
            html=history.history_prerender("Same here."),
        ),
    ]  # fmt: skip
    made = history.history_write(
        community=in_bulk,
        threads=[history.HistoryThread(kind=Thread.Kind.DISCUSSION, title="Starter smells",
                                       posts=posts)],
    )  # fmt: skip

    assert len(made) == 1 and made[0].opening_post_id == posts[0].post.pk
    expected = _written(by_services)
    assert expected["mentions"] and expected["revisions"] and expected["interactions"]
    assert _written(in_bulk) == expected


@pytest.mark.django_db
@pytest.mark.postgres
def test_history_write_names_every_related_id_itself_on_postgresql(monkeypatch):
    """With the ids reserved before the rows are made, every post, revision and follow names
    its related rows' ids as it is made: COPY takes them without bulk_create's per-row check
    (refused here), and the rows are the services' still."""
    real = Model._prepare_related_fields_for_save

    def refused(self, operation_name, fields=None):
        if operation_name == "COPY":
            raise AssertionError(f"{type(self).__name__}: checked row by row")
        return real(self, operation_name, fields)

    monkeypatch.setattr(Model, "_prepare_related_fields_for_save", refused)
    test_history_write_writes_what_the_services_write()


@pytest.mark.django_db
def test_history_write_refuses_an_author_who_may_not_post():
    community = CommunityFactory()
    banned = make_member(community, state=Membership.State.BANNED).user
    item = history.HistoryThread(
        kind=Thread.Kind.DISCUSSION,
        title="Hello",
        posts=[history.HistoryPost(author=banned, body="Hi", at=T0)],
    )
    with pytest.raises(PermissionDenied):
        history.history_write(community=community, threads=[item])
    assert not Thread.objects.filter(community=community).exists()
