"""Write another platform's past in bulk: many threads with their posts in a few statements.

An importer that writes years of history through ``thread_create``/``post_create``/``post_edit``
(and ``answer_accept``, ``thread_set_locked``) pays about thirty queries a post (savepoints,
locks, recounts, follows, the search index after each write). ``history_write`` writes the
same rows for a batch of threads with one INSERT per table: threads, their tags, posts
(answers and replies), revisions (each later version of a post, as ``post_edit`` keeps it),
the moderation log's entries for edits by someone else and for locking, the authors' follows
and the interaction log, then tells the listeners once for the whole batch
(``threads_changed``). The bodies are rendered by ``render_body``, the same code as every
post. What it leaves to the per-post services, which the caller uses for such threads: hidden
threads, acceptance by anyone but the asker, and authors or editors who may not do what they
did (it refuses them, in one sentence).

The result is the same as the per-post path's, row for row (tests compare them): each post's
reply is to a post written before it, the edits come in the order they were made, a thread's
last activity is its last post's moment (or its acceptance's, when later), and posts get their
ids in the order the per-post path would have given them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from communities import permissions as community_permissions
from communities.interactions import InteractionSpec, interactions_write
from communities.models import Interaction, display_name
from core.copy_rows import rows_insert, tuples_insert
from core.markdown import render_markdown
from core.rows import maker
from practice.changes import threads_changed
from practice.mentions import link_mentions
from practice.models import (
    Follow,
    ModerationAction,
    Post,
    PostRevision,
    TaggedThread,
    Thread,
    ThreadTag,
)
from practice.services.content import clean_body, clean_tags, clean_title, render_body
from practice.services.threads import _record_mentions


@dataclass
class HistoryPost:
    """One post of the past: *body* is shown; *original*, when different, was written first
    and is kept as the post's first revision (made by its author at the same moment)."""

    author: object
    body: str
    at: datetime
    # Index in the thread's ``posts`` of the post this one replies to (written before it);
    # None for the opening post and for a question's answers.
    reply_to: int | None = None
    original: str = ""
    # ``history_prerender(body)``, when the caller rendered it ahead (in a worker process);
    # only for a post without later edits.
    html: str = ""
    # An answer to the question (``post_create`` without ``reply_to`` in a question).
    is_answer: bool = False
    post: Post | None = field(default=None, repr=False)  # set once written


@dataclass
class HistoryEdit:
    """A later version of the post ``posts[post]``, saved by *by* at *at*, as ``post_edit``
    takes it: None leaves that part as it was; *title* and *tags* count on an opening post."""

    post: int
    by: object
    at: datetime
    body: str | None = None
    title: str | None = None
    tags: list[str] | None = None


@dataclass
class HistoryThread:
    """A discussion, story or question of the past: ``posts[0]`` opens it, the others in the
    order they were written; *edits* in the order they were made (each after its post)."""

    kind: str
    title: str
    posts: list[HistoryPost]
    tags: list[str] = field(default_factory=list)
    edits: list[HistoryEdit] = field(default_factory=list)
    # Index in ``posts`` of the answer its asker accepted, and when (after the answer).
    accepted: int | None = None
    accepted_at: datetime | None = None
    # Locked last, by a moderator, as ``thread_set_locked`` locks (now, in the log).
    locked_by: object | None = None
    lock_reason: str = ""
    # The last post's or acceptance's moment in the order they were written (None: the last
    # post's, or the acceptance's when later): each post_create and answer_accept sets it.
    last_activity_at: datetime | None = None
    thread: Thread | None = field(default=None, repr=False)  # set once written


def history_prerender(body: str) -> str:
    """The sanitised HTML a post of *body* shows, before its mentions are linked (those need
    the database): ``render_markdown``, as for every post; "" when the body would be refused.
    Pure, so an importer may call it in worker processes while reading its source."""
    try:
        return render_markdown(clean_body(body))
    except ValidationError:
        return ""


def _require(community, user, can_post: dict, *, moderate: bool = False) -> None:
    key = (user.pk, moderate)
    if key not in can_post:
        if moderate:
            community_permissions.require_can_moderate(user=user, community=community)
        else:
            community_permissions.require_can_post(user=user, community=community)
        can_post[key] = True


def history_check(
    *, community, item: HistoryThread, can_post: dict, content_only: bool = False
) -> None:
    """Refuse what the per-post services would refuse (ValidationError or PermissionDenied);
    *can_post* caches each person's rights (the caller's, per batch). *content_only*: check
    the text and the thread's shape, not yet the people (who may not exist yet)."""
    if item.kind not in Thread.Kind.values:
        raise ValidationError("Choose a question, a discussion or a story.")
    clean_title(item.title)
    clean_tags(item.tags)
    question = item.kind == Thread.Kind.QUESTION
    for n, post in enumerate(item.posts):
        if n == 0:
            if post.reply_to is not None or post.is_answer:
                raise ValidationError("The opening post answers nothing.")
        elif post.is_answer:
            if not question or post.reply_to is not None:
                raise ValidationError("Only a question's answers are answers.")
        elif post.reply_to is None or post.reply_to >= n:
            raise ValidationError("A reply must answer a post written before it.")
        clean_body(post.body)
        if post.original:
            clean_body(post.original)
        if not content_only:
            _require(community, post.author, can_post)
    for edit in item.edits:
        if not 0 <= edit.post < len(item.posts):
            raise ValidationError("An edit is of a post of its thread.")
        if edit.body is not None:
            clean_body(edit.body)
        if edit.title is not None and edit.post == 0:
            clean_title(edit.title)
        if edit.tags is not None:
            clean_tags(edit.tags)
        if not content_only:
            author = item.posts[edit.post].author
            _require(community, edit.by, can_post, moderate=edit.by.pk != author.pk)
    if item.accepted is not None:
        answer = item.posts[item.accepted] if 0 < item.accepted < len(item.posts) else None
        if answer is None or not answer.is_answer or item.accepted_at is None:
            raise ValidationError("Only an answer in this question can be accepted.")
        if item.accepted_at < answer.at:
            raise ValidationError("An answer is accepted after it was written.")
    if item.locked_by is not None and not content_only:
        _require(community, item.locked_by, can_post, moderate=True)


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
    """Point each thread at its opening post (and accepted answer) and each reply at its
    parent; return the replies."""
    replies = []
    for item, thread in zip(threads, made, strict=True):
        thread.opening_post = item.posts[0].post
        if item.accepted is not None:
            thread.accepted_post = item.posts[item.accepted].post
        for post in item.posts[1:]:
            if post.reply_to is not None:
                post.post.reply_to = item.posts[post.reply_to].post
                replies.append(post.post)
    return replies


@dataclass
class _Revision:
    number: int
    editor: object
    title: str
    body: str
    at: datetime


@dataclass
class _Plan:
    """What a thread's edits leave, worked out before anything is written."""

    title: str
    tags: list[str]
    all_tags: list[str]
    # Per post: the shown body, its HTML, when last edited, its revisions.
    bodies: list[str]
    html: list[str]
    edited: list[datetime | None]
    revisions: list[list[_Revision]]
    # (post index, people mentioned, by, at) in the order the services record them.
    mentions: list[tuple[int, list, object, datetime]]
    # (post index, editor, summary, at): edits by someone other than the author.
    logged_edits: list[tuple[int, object, str, datetime]]


def _mentioned(text: str) -> list:
    return render_body(text)[1] if "@" in text else []


def _plan(item: HistoryThread) -> _Plan:
    """Apply the thread's edits as ``post_edit`` does, in order."""
    title, tags = clean_title(item.title), clean_tags(item.tags)
    all_tags = list(tags)
    bodies, html, edited, revisions, mentions, logged = [], [], [], [], [], []
    trims = []
    for n, post in enumerate(item.posts):
        body = clean_body(post.body)
        first = clean_body(post.original) if post.original else body
        bodies.append(first)
        edited.append(None)
        revisions.append([])
        mentions.append((n, _mentioned(first), post.author, post.at))
        if first != body:
            # The whole text was written first, then trimmed by its author at once.
            trims.append(HistoryEdit(post=n, by=post.author, at=post.at, body=body))
    for edit in [*trims, *item.edits]:
        n, post = edit.post, item.posts[edit.post]
        opening = n == 0
        body = clean_body(edit.body) if edit.body is not None else bodies[n]
        new_title = clean_title(edit.title) if opening and edit.title is not None else None
        new_tags = clean_tags(edit.tags) if edit.tags is not None else None
        title_changed = new_title is not None and new_title != title
        if body == bodies[n] and not title_changed and new_tags is None:
            continue
        revisions[n].append(
            _Revision(
                number=len(revisions[n]) + 1,
                editor=edit.by,
                title=title if opening else "",
                body=bodies[n],
                at=edit.at,
            )
        )
        bodies[n], edited[n] = body, edit.at
        if opening:
            if title_changed:
                title = new_title
            if new_tags is not None:
                tags = new_tags
                all_tags += [tag for tag in new_tags if tag not in all_tags]
        mentions.append((n, _mentioned(body), edit.by, edit.at))
        if edit.by.pk != post.author.pk:
            summary = f"Edited a post by {display_name(post.author)} in “{title}”"
            logged.append((n, edit.by, summary, edit.at))
    for n, post in enumerate(item.posts):
        if post.html and bodies[n] == clean_body(post.body):
            html.append(link_mentions(post.html)[0])
        else:
            html.append(render_body(bodies[n])[0])
    return _Plan(title, tags, all_tags, bodies, html, edited, revisions, mentions, logged)


def _tags_by_name(names: set[str]) -> dict[str, ThreadTag]:
    """The thread tags called *names*, made as ``thread.tags.set`` makes a missing one."""
    found = {tag.name: tag for tag in ThreadTag.objects.filter(name__in=names)}
    for name in sorted(names - set(found)):
        found[name] = ThreadTag.objects.create(name=name)
    return found


def history_write(
    *, community, threads: list[HistoryThread], checked: bool = False
) -> list[Thread]:
    """Write *threads* (checked with ``history_check``) with their posts, tags, revisions,
    acceptance, locking, follows and interactions, in one transaction; return the threads.
    *checked*: the caller has just run ``history_check`` (people included) on each of them in
    *community*, so they are not checked twice."""
    if not checked:
        can_post: dict = {}
        for item in threads:
            history_check(community=community, item=item, can_post=can_post)
    if not threads:
        return []
    post_type = ContentType.objects.get_for_model(Post).pk
    thread_type = ContentType.objects.get_for_model(Thread).pk
    # Work out and render first (the same code as every post), outside the statements below.
    plans = [_plan(item) for item in threads]
    with transaction.atomic():
        made = []
        for item, plan in zip(threads, plans, strict=True):
            last = item.last_activity_at or item.posts[-1].at
            if item.last_activity_at is None and item.accepted_at and item.accepted_at >= last:
                last = item.accepted_at
            thread = Thread(
                community=community,
                kind=item.kind,
                title=plan.title,
                author=item.posts[0].author,
                created_at=item.posts[0].at,
                last_activity_at=last,
                reply_count=len(item.posts) - 1,
                answer_count=sum(1 for post in item.posts if post.is_answer),
                accepted_at=item.accepted_at if item.accepted is not None else None,
                is_locked=item.locked_by is not None,
            )
            if thread.is_locked:
                thread.status = Thread.Status.LOCKED
            elif item.accepted is not None:
                thread.status = Thread.Status.SOLVED
            made.append(thread)
        thread_ids = _reserve_ids(Thread, len(made))
        if thread_ids is not None:
            # Known before the posts are made, so each names its thread's id at once.
            for thread, pk in zip(made, thread_ids, strict=True):
                thread.pk = pk
        rows = []
        post_made = maker(
            Post,
            ("is_opening", "is_answer", "body", "body_html", "created_at", "edited_at"),
            related=("thread", "community", "author"),
        )
        for item, thread, plan in zip(threads, made, plans, strict=True):
            item.thread = thread
            for n, post in enumerate(item.posts):
                post.post = post_made(
                    (n == 0, post.is_answer, plan.bodies[n], plan.html[n], post.at, plan.edited[n]),
                    (thread, community, post.author),
                )
                rows.append(post.post)
        post_ids = _reserve_ids(Post, len(rows))
        # With the ids known before the INSERTs (PostgreSQL), every row below names its
        # related rows' ids as it is made: COPY takes them without bulk_create's per-row check.
        related_set = thread_ids is not None and post_ids is not None
        if related_set:
            # Each row names its opening post or parent at once (the foreign keys are checked
            # at commit), and nothing is updated after.
            for row, pk in zip(rows, post_ids, strict=True):
                row.pk = pk
            _link(threads, made)
            rows_insert(Thread, made, with_ids=True, related_set=True)
            rows_insert(Post, rows, with_ids=True, related_set=True)
        else:
            # One INSERT per table in the per-post path's order (so ids come in that order);
            # the opening posts and parents are set after, when every row has its id.
            Thread.objects.bulk_create(made)
            Post.objects.bulk_create(rows)
            replies = _link(threads, made)
            Thread.objects.bulk_update(made, ["opening_post", "accepted_post"])
            if replies:
                Post.objects.bulk_update(replies, ["reply_to"], batch_size=500)
        tags = _tags_by_name({name for plan in plans for name in plan.all_tags})
        tagged, revisions, follows, specs, logged = [], [], [], [], []
        for item, thread, plan in zip(threads, made, plans, strict=True):
            tagged += [(thread_type, thread.pk, tags[name].pk) for name in plan.tags]
            followed = set()
            for n, post in enumerate(item.posts):
                row = post.post
                revisions += [
                    (row.pk, r.editor.pk, r.number, r.title, r.body, r.at)
                    for r in plan.revisions[n]
                ]
                if post.author.pk not in followed:
                    followed.add(post.author.pk)
                    follows.append(
                        (post.author.pk, Follow.Target.THREAD, community.pk, thread.pk, post.at)
                    )
                if n:
                    target = row.reply_to.author_id if row.reply_to else thread.author_id
                    specs.append(
                        InteractionSpec(
                            community_id=community.pk,
                            actor_id=row.author_id,
                            target_id=target,
                            kind=Interaction.Kind.ANSWER
                            if post.is_answer
                            else Interaction.Kind.REPLY,
                            occurred_at=post.at,
                            source_type_id=post_type,
                            source_id=row.pk,
                        )
                    )
            if item.accepted is not None:
                answer = item.posts[item.accepted].post
                specs.append(
                    InteractionSpec(
                        community_id=community.pk,
                        actor_id=thread.author_id,
                        target_id=answer.author_id,
                        kind=Interaction.Kind.ACCEPT,
                        occurred_at=item.accepted_at,
                        source_type_id=post_type,
                        source_id=answer.pk,
                    )
                )
            for n, editor, summary, at in plan.logged_edits:
                logged.append(
                    ModerationAction(
                        community=community,
                        moderator=editor,
                        action=ModerationAction.Action.EDIT,
                        thread=thread,
                        post=item.posts[n].post,
                        summary=summary[:300],
                        created_at=at,
                    )
                )
            if item.locked_by is not None:
                logged.append(
                    ModerationAction(
                        community=community,
                        moderator=item.locked_by,
                        action=ModerationAction.Action.LOCK,
                        thread=thread,
                        summary=f"Locked “{thread.title}”"[:300],
                        reason=item.lock_reason[:500],
                        created_at=timezone.now(),
                    )
                )
        # Rows no one reads back here: their values straight to COPY, no instance made.
        tuples_insert(TaggedThread, ("content_type_id", "object_id", "tag_id"), tagged)
        tuples_insert(
            PostRevision,
            ("post_id", "editor_id", "number", "title", "body", "created_at"),
            revisions,
        )
        tuples_insert(
            Follow, ("user_id", "target", "community_id", "thread_id", "created_at"), follows
        )
        ModerationAction.objects.bulk_create(logged)
        interactions_write(specs)
        # Mentions are rare in imported text and need a reader's check: as the services do.
        for item, plan in zip(threads, plans, strict=True):
            for n, mentioned, by, at in plan.mentions:
                if mentioned:
                    _record_mentions(post=item.posts[n].post, users=mentioned, by=by, at=at)
        threads_changed([thread.pk for thread in made])
    return made
