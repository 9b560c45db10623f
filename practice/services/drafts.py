"""Drafts: a member's unsent question, answer or reply, kept per member and place."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from communities.models import Community
from practice import permissions
from practice.models import Draft, Thread
from practice.models.drafts import NEW_THREAD, TAGS_MAX_LENGTH
from practice.models.threads import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


def _place(thread: Thread | None) -> str:
    return NEW_THREAD if thread is None else str(thread.pk)


def _check_lengths(*, title: str, tags: str, body: str) -> None:
    errors = {}
    if len(body) > BODY_MAX_LENGTH:
        errors["body"] = f"That is {len(body):,} characters; the limit is {BODY_MAX_LENGTH:,}."
    if len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"The title is too long: the limit is {TITLE_MAX_LENGTH} characters."
    if len(tags) > TAGS_MAX_LENGTH:
        errors["tags"] = f"The tags are too long: the limit is {TAGS_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)


def draft_save(
    *,
    user,
    community: Community,
    thread: Thread | None = None,
    body: str,
    title: str = "",
    tags: str = "",
    at: datetime | None = None,
) -> Draft | None:
    """Keep *user*'s draft for a new thread in *community* (no *thread*) or for a reply to
    *thread*, replacing the one before. All-empty text discards it (returns None). Refused
    (PermissionDenied) where *user* may not post; too long is a ValidationError."""
    permissions.require_can_save_draft(user=user, community=community, thread=thread)
    if thread is not None:
        title = tags = ""
    _check_lengths(title=title, tags=tags, body=body)
    if not (body.strip() or title.strip() or tags.strip()):
        draft_discard(user=user, community=community, thread=thread)
        return None
    draft, _ = Draft.objects.update_or_create(
        user=user,
        community=community,
        place=_place(thread),
        defaults={
            "title": title,
            "tags": tags,
            "body": body,
            "updated_at": at or timezone.now(),
        },
    )
    return draft


def draft_discard(*, user, community: Community, thread: Thread | None = None) -> None:
    """Drop *user*'s draft for that place (nothing there is fine). Called in the same
    transaction as the thread or post created from it."""
    if not user.is_authenticated:
        return
    Draft.objects.filter(user=user, community=community, place=_place(thread)).delete()


def draft_publish(*, user, community: Community, thread: Thread | None = None, create):
    """Run *create()* (a thread or post service call) and drop the draft of that place in the
    same transaction; returns what *create* returned."""
    with transaction.atomic():
        created = create()
        draft_discard(user=user, community=community, thread=thread)
    return created
