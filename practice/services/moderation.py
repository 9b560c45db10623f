"""Moderator actions on threads and posts, and flags; each writes the audit log (moderation_log)."""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities import permissions as community_permissions
from communities.interactions import interactions_log_changed
from communities.models import Interaction
from notifications.services import notices_move
from practice import permissions
from practice.changes import thread_changed
from practice.models import (
    AdoptionReport,
    Flag,
    Follow,
    Post,
    Thread,
    Vote,
)
from practice.services.moderation_log import (
    Action,
    flags_close_as_hidden,
    log_action,
)
from practice.services.threads import post_hide, thread_refresh_status


def _locked_thread(thread: Thread, by) -> Thread:
    # Lock only the thread row (not the joined community) on PostgreSQL.
    thread = (
        Thread.objects.select_for_update(of=("self",)).select_related("community").get(pk=thread.pk)
    )
    community_permissions.require_can_moderate(user=by, community=thread.community)
    return thread


def thread_set_locked(*, thread: Thread, by, locked: bool, reason: str = "") -> Thread:
    with transaction.atomic():
        thread = _locked_thread(thread, by)
        if thread.is_locked == locked:
            return thread
        thread.is_locked = locked
        thread_refresh_status(thread)
        thread.save(update_fields=["is_locked", "status"])
        log_action(
            community=thread.community,
            moderator=by,
            action=Action.LOCK if locked else Action.UNLOCK,
            thread=thread,
            reason=reason,
            summary=f"{'Locked' if locked else 'Unlocked'} “{thread.title}”",
        )
        thread_changed(thread.pk)
    return thread


def thread_move(*, thread: Thread, to_community, by, reason: str = "") -> Thread:
    """Move a thread to another community the moderator also moderates."""
    with transaction.atomic():
        thread = _locked_thread(thread, by)
        if to_community.pk == thread.community_id:
            return thread
        permissions.require_can_move_thread_to(user=by, community=to_community)
        source = thread.community
        thread.community = to_community
        thread.save(update_fields=["community"])
        Post.objects.filter(thread=thread).update(community=to_community)
        Flag.objects.filter(thread=thread).update(community=to_community)
        Follow.objects.filter(target=Follow.Target.THREAD, thread=thread).update(
            community=to_community
        )
        _move_interactions(thread=thread, from_community=source, to_community=to_community)
        # The thread's notices and its posts' (replies, mentions, accepted answers) move with it.
        notices_move(
            targets={Thread: [thread.pk], Post: Post.objects.filter(thread=thread).values("pk")},
            to_community=to_community,
        )
        summary = f"Moved “{thread.title}” from {source.name} to {to_community.name}"
        for community in (source, to_community):
            log_action(
                community=community,
                moderator=by,
                action=Action.MOVE,
                thread=thread,
                reason=reason,
                summary=summary,
            )
        thread_changed(thread.pk)
    return thread


def _move_interactions(*, thread: Thread, from_community, to_community) -> None:
    """Interactions caused by the thread's posts, votes and reports follow it."""
    post_ids = list(Post.objects.filter(thread=thread).values_list("pk", flat=True))
    sources = {
        Post: post_ids,
        Vote: list(Vote.objects.filter(post_id__in=post_ids).values_list("pk", flat=True)),
        AdoptionReport: list(
            AdoptionReport.objects.filter(post_id__in=post_ids).values_list("pk", flat=True)
        ),
    }
    for model, ids in sources.items():
        Interaction.objects.filter(
            source_type=ContentType.objects.get_for_model(model), source_id__in=ids
        ).update(community=to_community)
    # Both communities' logs lose or gain pairs (the metrics' tie tables rebuild from the log).
    interactions_log_changed([from_community.pk, to_community.pk])


def flag_create(
    *,
    reporter,
    thread: Thread,
    post: Post | None,
    reason: str,
    note: str = "",
    at: datetime | None = None,
) -> Flag:
    """Flag a thread or post for the moderators (at *at*, default now); flagging the same thing
    twice is harmless."""
    if reason not in Flag.Reason.values:
        raise ValidationError({"reason": "Choose a reason."})
    permissions.require_can_flag(user=reporter, community=thread.community)
    if post is not None and post.thread_id != thread.pk:
        raise ValidationError("That post is not in this thread.")
    lookup = {"reporter": reporter, "thread": thread, "post": post, "resolved_at": None}
    with transaction.atomic():
        existing = Flag.objects.select_for_update().filter(**lookup).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return Flag.objects.create(
                    community=thread.community,
                    thread=thread,
                    post=post,
                    reporter=reporter,
                    reason=reason,
                    note=(note or "")[:500],
                    created_at=at or timezone.now(),
                )
        except IntegrityError:
            return Flag.objects.get(**lookup)


def flags_resolve(
    *, flags, by, resolution: str, reason: str = "", at: datetime | None = None
) -> int:
    """Close open flags (after hiding the content, or to dismiss them) at *at* (default now);
    return how many."""
    flags = list(flags)
    if not flags:
        return 0
    community = flags[0].community
    community_permissions.require_can_moderate(user=by, community=community)
    now = at or timezone.now()
    with transaction.atomic():
        count = Flag.objects.filter(
            pk__in=[f.pk for f in flags], community=community, resolved_at__isnull=True
        ).update(resolved_at=now, resolved_by=by, resolution=resolution)
        if resolution == Flag.Resolution.DISMISSED and count:
            first = flags[0]
            log_action(
                community=community,
                moderator=by,
                action=Action.DISMISS_FLAG,
                thread=first.thread,
                post=first.post,
                reason=reason,
                summary=f"Dismissed {count} flag(s) on “{first.thread.title}”",
                at=now,
            )
    return count


def content_hide(*, post: Post, by, reason: str = "") -> Post:
    """Hide a post (the opening post hides its thread); its open flags are closed as hidden."""
    if not post.is_hidden:
        return post_hide(post=post, by=by, reason=reason)
    # Already hidden (say, by its author): only the flags remain to close.
    community_permissions.require_can_moderate(user=by, community=post.community)
    flags_close_as_hidden(post=post, by=by)
    return post


def content_flags_dismiss(*, thread: Thread, post: Post | None, by, reason: str = "") -> int:
    """Dismiss every open flag about *post* (or about *thread* itself when post is None)."""
    community_permissions.require_can_moderate(user=by, community=thread.community)
    about = {"post": post} if post is not None else {"post__isnull": True}
    flags = Flag.objects.filter(thread=thread, resolved_at__isnull=True, **about).select_related(
        "community", "thread", "post"
    )
    return flags_resolve(flags=flags, by=by, resolution=Flag.Resolution.DISMISSED, reason=reason)
