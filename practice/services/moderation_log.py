"""The moderation audit log, and the flags that hiding content closes.

Thread, endorsement, event and moderation services all write here, inside their own transaction;
it imports none of them (``moderation`` imports ``threads``, so these cannot live there).
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from practice.models import Flag, ModerationAction, Post

Action = ModerationAction.Action


def log_action(
    *,
    community,
    moderator,
    action: str,
    summary: str,
    thread=None,
    post=None,
    reason: str = "",
    at: datetime | None = None,
) -> ModerationAction:
    """Write one entry of the moderation audit log (inside the caller's transaction)."""
    return ModerationAction.objects.create(
        community=community,
        moderator=moderator,
        action=action,
        thread=thread,
        post=post,
        summary=summary[:300],
        reason=(reason or "")[:500],
        created_at=at or timezone.now(),
    )


def open_flags_on(post: Post):
    """Open flags about *post*; for an opening post also those about its whole thread."""
    flags = Flag.objects.filter(resolved_at__isnull=True, thread_id=post.thread_id)
    if post.is_opening:
        return flags.filter(Q(post=post) | Q(post__isnull=True))
    return flags.filter(post=post)


def flags_close_as_hidden(*, post: Post, by) -> int:
    """Close the open flags about *post* (and its thread, for an opening post) as hidden."""
    return open_flags_on(post).update(
        resolved_at=timezone.now(), resolved_by=by, resolution=Flag.Resolution.HIDDEN
    )
