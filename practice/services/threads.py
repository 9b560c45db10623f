"""Threads and posts: ask, answer, reply, edit with history, hide and restore."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities import permissions as community_permissions
from communities.interactions import interaction_record
from communities.models import Interaction, display_name
from notifications.services import Kind as NotificationKind
from notifications.services import notify
from practice import permissions, rate_limits
from practice.changes import post_changed, thread_changed
from practice.models import Post, PostMention, PostRevision, Thread
from practice.services import follows
from practice.services.content import clean_body, clean_tags, clean_title, render_body
from practice.services.moderation_log import flags_close_as_hidden, log_action

Status = Thread.Status


def thread_refresh_status(thread: Thread) -> None:
    """Derive the status from hidden, locked and accepted (in that order of precedence)."""
    if thread.is_hidden:
        thread.status = Status.HIDDEN
    elif thread.is_locked:
        thread.status = Status.LOCKED
    elif thread.accepted_post_id:
        thread.status = Status.SOLVED
    else:
        thread.status = Status.OPEN


def thread_recount(thread: Thread) -> None:
    """Recompute the thread's counters from its visible posts (not saved here)."""
    counts = Post.objects.filter(thread=thread, is_hidden=False).aggregate(
        replies=Count("pk", filter=Q(is_opening=False)),
        answers=Count("pk", filter=Q(is_opening=False, is_answer=True)),
        helpful=Sum("helpful_count"),
    )
    thread.reply_count = counts["replies"]
    thread.answer_count = counts["answers"]
    thread.helpful_count = counts["helpful"] or 0


def threads_recount_helpful(thread_ids) -> None:
    """Recompute and save the helpful counts of the threads *thread_ids* from their visible
    posts, in one UPDATE (a vote changes nothing else in a thread)."""
    helpful = (
        Post.objects.filter(thread=OuterRef("pk"), is_hidden=False)
        .order_by()
        .values("thread")
        .annotate(total=Sum("helpful_count"))
        .values("total")
    )
    Thread.objects.filter(pk__in=thread_ids).update(helpful_count=Coalesce(Subquery(helpful), 0))


def _record_mentions(*, post: Post, users, by, at) -> list:
    """Store new mentions of *users* in *post*; log and notify them. Return the new ones."""
    readers = set(community_permissions.users_who_can_view(post.community, [u.pk for u in users]))
    new = []
    for user in users:
        if user.pk == by.pk or user.pk not in readers:
            continue
        _, created = PostMention.objects.get_or_create(
            post=post, user=user, defaults={"created_at": at}
        )
        if created:
            new.append(user)
            interaction_record(
                community=post.community,
                actor=by,
                target=user,
                kind=Interaction.Kind.MENTION,
                occurred_at=at,
                source=post,
            )
    if new:
        notify(
            recipient_ids=[u.pk for u in new],
            kind=NotificationKind.MENTION,
            community=post.community,
            actor=by,
            target=post,
            text=f"{display_name(by)} mentioned you in “{post.thread.title}”",
            url=post.get_absolute_url(),
            at=at,
        )
    return new


def _existing_submission(author, submission_key: str) -> Post | None:
    if not submission_key:
        return None
    return Post.objects.filter(author=author, submission_key=submission_key).first()


def thread_create(
    *,
    community,
    author,
    kind: str,
    title: str,
    body: str,
    tags=(),
    submission_key: str = "",
    at: datetime | None = None,
) -> Thread:
    """Start a thread: its opening post, tags, the author's follow, mentions and notices.

    *at*: the thread's moment (default now); rate limits and notices go by it too.
    """
    community_permissions.require_can_post(user=author, community=community)
    if kind not in Thread.Kind.values:
        raise ValidationError({"kind": "Choose a question, a discussion or a story."})
    title, body, tags = clean_title(title), clean_body(body), clean_tags(tags)
    existing = _existing_submission(author, submission_key)
    if existing is not None and existing.is_opening:
        return existing.thread
    now = at or timezone.now()
    rate_limits.check_thread_rate(user=author, community=community, at=now)
    body_html, mentioned = render_body(body)
    try:
        with transaction.atomic():
            thread = Thread.objects.create(
                community=community,
                kind=kind,
                title=title,
                author=author,
                created_at=now,
                last_activity_at=now,
            )
            post = Post.objects.create(
                thread=thread,
                community=community,
                author=author,
                is_opening=True,
                body=body,
                body_html=body_html,
                created_at=now,
                submission_key=submission_key,
            )
            thread.opening_post = post
            thread.save(update_fields=["opening_post"])
            if tags:
                thread.tags.set(tags)
            follows.thread_follow(user=author, thread=thread, at=now)
            _record_mentions(post=post, users=mentioned, by=author, at=now)
            notify(
                recipient_ids=follows.new_thread_followers(thread=thread),
                kind=NotificationKind.NEW_THREAD,
                community=community,
                actor=author,
                target=thread,
                text=f"New {thread.get_kind_display().lower()} in {community.name}: {title}",
                url=thread.get_absolute_url(),
                at=now,
            )
            thread_changed(thread.pk)
    except IntegrityError:
        existing = _existing_submission(author, submission_key)
        if existing is None:
            raise
        return existing.thread
    return thread


def post_create(
    *,
    thread: Thread,
    author,
    body: str,
    reply_to: Post | None = None,
    submission_key: str = "",
    at: datetime | None = None,
) -> Post:
    """Answer a question or reply in a thread; a second submit of the same form is harmless.

    *at*: the post's moment (default now); rate limits and notices go by it too.
    """
    body = clean_body(body)
    existing = _existing_submission(author, submission_key)
    if existing is not None:
        return existing
    if reply_to is not None and (reply_to.thread_id != thread.pk or reply_to.is_hidden):
        raise ValidationError("You can only quote a visible post of the same thread.")
    body_html, mentioned = render_body(body)
    try:
        with transaction.atomic():
            thread = (
                Thread.objects.select_for_update()
                .select_related("community", "author")
                .get(pk=thread.pk)
            )
            permissions.require_can_reply(user=author, thread=thread)
            now = at or timezone.now()
            rate_limits.check_post_rate(user=author, community=thread.community, at=now)
            is_answer = thread.is_question and reply_to is None
            post = Post.objects.create(
                thread=thread,
                community=thread.community,
                author=author,
                reply_to=reply_to,
                is_answer=is_answer,
                body=body,
                body_html=body_html,
                created_at=now,
                submission_key=submission_key,
            )
            target = reply_to.author if reply_to is not None else thread.author
            interaction_record(
                community=thread.community,
                actor=author,
                target=target,
                kind=Interaction.Kind.ANSWER if is_answer else Interaction.Kind.REPLY,
                occurred_at=now,
                source=post,
            )
            thread.last_activity_at = now
            thread_recount(thread)
            thread.save(
                update_fields=["last_activity_at", "reply_count", "answer_count", "helpful_count"]
            )
            mentioned_new = _record_mentions(post=post, users=mentioned, by=author, at=now)
            already_told = {u.pk for u in mentioned_new}
            follower_ids = follows.thread_follower_ids(thread=thread)
            notify(
                recipient_ids=[
                    uid
                    for uid in follows.thread_followers(thread=thread, follower_ids=follower_ids)
                    if uid not in already_told
                ],
                kind=NotificationKind.REPLY,
                community=thread.community,
                actor=author,
                target=post,
                text=(
                    f"{display_name(author)} {'answered' if is_answer else 'replied in'} "
                    f"“{thread.title}”"
                ),
                url=post.get_absolute_url(),
                at=now,
            )
            if author.pk not in follower_ids:  # following already: nothing to write
                follows.thread_follow(user=author, thread=thread, at=now)
            post_changed(post.pk)
    except IntegrityError:
        existing = _existing_submission(author, submission_key)
        if existing is None:
            raise
        return existing
    return post


def post_edit(
    *,
    post: Post,
    by,
    body: str,
    title: str | None = None,
    tags=None,
    at: datetime | None = None,
) -> Post:
    """Edit a post, keeping the previous version as a revision readers can see (made at *at*,
    default now)."""
    permissions.require_can_edit_post(user=by, post=post)
    body = clean_body(body)
    if post.is_opening and title is not None:
        title = clean_title(title)
    if tags is not None:
        tags = clean_tags(tags)
    body_html, mentioned = render_body(body)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
        thread = post.thread
        title_changed = post.is_opening and title is not None and title != thread.title
        if body == post.body and not title_changed and tags is None:
            return post
        now = at or timezone.now()
        number = post.revisions.count() + 1
        PostRevision.objects.create(
            post=post,
            editor=by,
            number=number,
            title=thread.title if post.is_opening else "",
            body=post.body,
            created_at=now,
        )
        post.body, post.body_html, post.edited_at = body, body_html, now
        post.save(update_fields=["body", "body_html", "edited_at"])
        if post.is_opening:
            if title_changed:
                thread.title = title
                thread.save(update_fields=["title"])
            if tags is not None:
                thread.tags.set(tags, clear=True)
        _record_mentions(post=post, users=mentioned, by=by, at=now)
        if by.pk != post.author_id:
            log_action(
                community=post.community,
                moderator=by,
                action="edit",
                thread=thread,
                post=post,
                summary=f"Edited a post by {display_name(post.author)} in “{thread.title}”",
                at=now,
            )
        post_changed(post.pk)
    return post


def post_hide(*, post: Post, by, reason: str = "") -> Post:
    """Hide a post (deleting is hiding). Hiding the opening post hides the thread."""
    permissions.require_can_hide_post(user=by, post=post)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
        if post.is_hidden:
            return post
        now = timezone.now()
        post.is_hidden, post.hidden_at, post.hidden_by = True, now, by
        post.save(update_fields=["is_hidden", "hidden_at", "hidden_by"])
        thread = Thread.objects.select_for_update().get(pk=post.thread_id)
        if post.is_opening:
            thread.is_hidden = True
        if thread.accepted_post_id == post.pk:
            thread.accepted_post, thread.accepted_at = None, None
        thread_recount(thread)
        thread_refresh_status(thread)
        thread.save()
        # Every path that hides content also closes the flags about it.
        flags_close_as_hidden(post=post, by=by)
        if by.pk != post.author_id:
            log_action(
                community=post.community,
                moderator=by,
                action="hide",
                thread=thread,
                post=post,
                reason=reason,
                summary=f"Hid a post by {display_name(post.author)} in “{thread.title}”",
            )
        thread_changed(thread.pk)
    return post


def post_restore(*, post: Post, by, reason: str = "") -> Post:
    permissions.require_can_restore(user=by, community=post.community)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("thread").get(pk=post.pk)
        if not post.is_hidden:
            return post
        post.is_hidden, post.hidden_at, post.hidden_by = False, None, None
        post.save(update_fields=["is_hidden", "hidden_at", "hidden_by"])
        thread = Thread.objects.select_for_update().get(pk=post.thread_id)
        if post.is_opening:
            thread.is_hidden = False
        thread_recount(thread)
        thread_refresh_status(thread)
        thread.save()
        log_action(
            community=post.community,
            moderator=by,
            action="restore",
            thread=thread,
            post=post,
            reason=reason,
            summary=f"Restored a post by {display_name(post.author)} in “{thread.title}”",
        )
        thread_changed(thread.pk)
    return post
