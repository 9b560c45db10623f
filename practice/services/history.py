"""Write another platform's past in bulk: many threads with their posts in a few statements.

An importer that writes years of history through ``thread_create``/``post_create``/``post_edit``
pays about thirty queries a post (savepoints, locks, recounts, follows, the search index after
each write). ``history_write`` writes the same rows for a batch of threads with one INSERT per
table: threads, posts, first revisions (a post whose shown text differs from what was written,
kept whole as revision 1, as ``post_edit`` keeps it), the authors' follows and the interaction
log, then tells the listeners once for the whole batch (``threads_changed``). The bodies are
rendered by ``render_body``, the same code as every post. What it leaves to the per-post
services, which the caller uses for such threads: tags, questions' answers and acceptance,
locked or hidden threads, and authors who may not post (it refuses them, in one sentence).

The result is the same as the per-post path's, row for row (tests compare them): each post's
reply is to a post written before it, a thread's last activity is its last post's moment, and
posts get their ids in the order the per-post path would have given them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from communities import permissions as community_permissions
from communities.interactions import InteractionSpec, interactions_write
from communities.models import Interaction
from core.markdown import render_markdown
from practice.changes import threads_changed
from practice.mentions import link_mentions
from practice.models import Follow, Post, PostRevision, Thread
from practice.services.content import clean_body, clean_title, render_body
from practice.services.threads import _record_mentions


@dataclass
class HistoryPost:
    """One post of the past: *body* is shown; *original*, when different, was written first
    and is kept as the post's first revision (made by its author at the same moment)."""

    author: object
    body: str
    at: datetime
    # Index in the thread's ``posts`` of the post this one replies to (written before it);
    # None for the opening post.
    reply_to: int | None = None
    original: str = ""
    # ``history_prerender(body)``, when the caller rendered it ahead (in a worker process).
    html: str = ""
    post: Post | None = field(default=None, repr=False)  # set once written


@dataclass
class HistoryThread:
    """A discussion (or story) of the past: ``posts[0]`` opens it."""

    kind: str
    title: str
    posts: list[HistoryPost]
    thread: Thread | None = field(default=None, repr=False)  # set once written


def history_prerender(body: str) -> str:
    """The sanitised HTML a post of *body* shows, before its mentions are linked (those need
    the database): ``render_markdown``, as for every post; "" when the body would be refused.
    Pure, so an importer may call it in worker processes while reading its source."""
    try:
        return render_markdown(clean_body(body))
    except ValidationError:
        return ""


def history_check(*, community, item: HistoryThread, can_post: dict) -> None:
    """Refuse what the per-post services would refuse (ValidationError or PermissionDenied);
    *can_post* caches each author's right to post (the caller's, per batch)."""
    if item.kind not in (Thread.Kind.DISCUSSION, Thread.Kind.STORY):
        raise ValidationError("Only discussions and stories are written in bulk.")
    clean_title(item.title)
    for n, post in enumerate(item.posts):
        if (post.reply_to is None) != (n == 0) or (
            post.reply_to is not None and post.reply_to >= n
        ):
            raise ValidationError("A reply must answer a post written before it.")
        clean_body(post.body)
        if post.original:
            clean_body(post.original)
        author = post.author
        if author.pk not in can_post:
            community_permissions.require_can_post(user=author, community=community)
            can_post[author.pk] = True


def _reserve_ids(model, n: int) -> list[int] | None:
    """*n* new ids of *model* from its PostgreSQL sequence, ascending (None elsewhere)."""
    if connection.vendor != "postgresql" or n == 0:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _link(threads: list[HistoryThread], made: list[Thread]) -> list[Post]:
    """Point each thread at its opening post and each reply at its parent; return the
    replies."""
    replies = []
    for item, thread in zip(threads, made, strict=True):
        thread.opening_post = item.posts[0].post
        for post in item.posts[1:]:
            post.post.reply_to = item.posts[post.reply_to].post
            replies.append(post.post)
    return replies


def history_write(*, community, threads: list[HistoryThread]) -> list[Thread]:
    """Write *threads* (checked with ``history_check``) with their posts, first revisions,
    follows and interactions, in one transaction; return the threads."""
    can_post: dict[int, bool] = {}
    for item in threads:
        history_check(community=community, item=item, can_post=can_post)
    if not threads:
        return []
    post_type = ContentType.objects.get_for_model(Post).pk
    # Render first (the same code as every post), outside the statements below.
    rendered = []
    for item in threads:
        for post in item.posts:
            body = clean_body(post.body)
            original = clean_body(post.original) if post.original else body
            html, mentioned = link_mentions(post.html) if post.html else render_body(body)
            if original != body and "@" in original:
                # The whole text was written first: its mentions count, as post_create's did.
                mentioned = [*render_body(original)[1], *mentioned]
            rendered.append((post, body, original, html, mentioned))
    with transaction.atomic():
        made = [
            Thread(
                community=community,
                kind=item.kind,
                title=clean_title(item.title),
                author=item.posts[0].author,
                created_at=item.posts[0].at,
                # post_create sets it at each post: the last one written.
                last_activity_at=item.posts[-1].at,
                reply_count=len(item.posts) - 1,
            )
            for item in threads
        ]
        rows = []
        n = 0
        for item, thread in zip(threads, made, strict=True):
            item.thread = thread
            for post in item.posts:
                _, body, original, html, _ = rendered[n]
                n += 1
                post.post = Post(
                    thread=thread,
                    community=community,
                    author=post.author,
                    is_opening=post.reply_to is None,
                    body=body,
                    body_html=html,
                    created_at=post.at,
                    edited_at=post.at if original != body else None,
                )
                rows.append(post.post)
        thread_ids, post_ids = _reserve_ids(Thread, len(made)), _reserve_ids(Post, len(rows))
        if thread_ids is not None and post_ids is not None:
            # The ids known before the INSERTs: each row names its opening post or parent at
            # once (the foreign keys are checked at commit), and nothing is updated after.
            for thread, pk in zip(made, thread_ids, strict=True):
                thread.pk = pk
            for row, pk in zip(rows, post_ids, strict=True):
                row.pk = pk
            _link(threads, made)
            Thread.objects.bulk_create(made)
            Post.objects.bulk_create(rows)
        else:
            # One INSERT per table in the per-post path's order (so ids come in that order);
            # the opening posts and parents are set after, when every row has its id.
            Thread.objects.bulk_create(made)
            Post.objects.bulk_create(rows)
            replies = _link(threads, made)
            Thread.objects.bulk_update(made, ["opening_post"])
            if replies:
                Post.objects.bulk_update(replies, ["reply_to"], batch_size=500)
        revisions, follows, specs = [], [], []
        for item, thread in zip(threads, made, strict=True):
            followed = set()
            for post in item.posts:
                row = post.post
                if row.edited_at is not None:
                    revisions.append(
                        PostRevision(
                            post=row,
                            editor=post.author,
                            number=1,
                            title=thread.title if row.is_opening else "",
                            body=clean_body(post.original),
                            created_at=post.at,
                        )
                    )
                if post.author.pk not in followed:
                    followed.add(post.author.pk)
                    follows.append(
                        Follow(
                            user=post.author,
                            target=Follow.Target.THREAD,
                            community=community,
                            thread=thread,
                            created_at=post.at,
                        )
                    )
                if not row.is_opening:
                    specs.append(
                        InteractionSpec(
                            community_id=community.pk,
                            actor_id=row.author_id,
                            target_id=row.reply_to.author_id,
                            kind=Interaction.Kind.REPLY,
                            occurred_at=post.at,
                            source_type_id=post_type,
                            source_id=row.pk,
                        )
                    )
        PostRevision.objects.bulk_create(revisions)
        Follow.objects.bulk_create(follows)
        interactions_write(specs)
        # Mentions are rare in mail and need a reader's check: as the services record them.
        for post, _, _, _, mentioned in rendered:
            if mentioned:
                _record_mentions(post=post.post, users=mentioned, by=post.author, at=post.at)
        threads_changed([thread.pk for thread in made])
    return made
