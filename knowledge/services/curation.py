"""Moderators' curation: publish, ask for changes, feature, archive (optionally superseded by
another item), bring back, mark reviewed. Each step is idempotent (a second click finds the
item already in the wanted state and changes nothing) and leaves a CurationEvent."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from knowledge import permissions
from knowledge.changes import item_changed
from knowledge.models import ChangeProposal, CurationEvent, Item
from knowledge.services.items import clean_comment, lock_item, record_event

Action = CurationEvent.Action
State = Item.State


def _curate(item: Item, by) -> Item:
    """Lock *item* and check that *by* may curate it (inside the caller's transaction)."""
    locked = lock_item(item)
    permissions.require_can_curate(user=by, community=locked.community)
    return locked


def item_publish(*, item: Item, by, comment: str = "", at: datetime | None = None) -> Item:
    """Put a proposal in the library (at *at*, default now)."""
    comment = clean_comment(comment)
    with transaction.atomic():
        item = _curate(item, by)
        if item.state == State.PUBLISHED:
            return item
        if item.state == State.ARCHIVED:
            raise ValidationError("Bring the item back from the archive instead.")
        now = at or timezone.now()
        item.state = State.PUBLISHED
        item.published_at = item.published_at or now
        item.last_reviewed_at = now
        item.updated_at = now
        item.save(update_fields=["state", "published_at", "last_reviewed_at", "updated_at"])
        record_event(item=item, actor=by, action=Action.PUBLISHED, comment=comment, at=now)
        item_changed(item.pk)
    return item


def item_request_changes(*, item: Item, by, comment: str, at: datetime | None = None) -> Item:
    """Send a proposal back to its proposer with a comment on what to change (at *at*, default
    now)."""
    comment = clean_comment(comment, required=True)
    with transaction.atomic():
        item = _curate(item, by)
        if item.state == State.CHANGES_REQUESTED:
            return item
        if item.state != State.PROPOSED:
            raise ValidationError(
                "Only proposals can be sent back; edit a published item, or archive it."
            )
        now = at or timezone.now()
        item.state = State.CHANGES_REQUESTED
        item.save(update_fields=["state"])
        record_event(item=item, actor=by, action=Action.CHANGES_REQUESTED, comment=comment, at=now)
        item_changed(item.pk)
    return item


def item_feature(*, item: Item, by, at: datetime | None = None) -> Item:
    with transaction.atomic():
        item = _curate(item, by)
        if item.is_featured:
            return item
        if item.state != State.PUBLISHED:
            raise ValidationError("Only published items can be featured.")
        now = at or timezone.now()
        item.is_featured, item.featured_at, item.last_reviewed_at = True, now, now
        item.save(update_fields=["is_featured", "featured_at", "last_reviewed_at"])
        record_event(item=item, actor=by, action=Action.FEATURED, at=now)
        item_changed(item.pk)
    return item


def item_unfeature(*, item: Item, by) -> Item:
    with transaction.atomic():
        item = _curate(item, by)
        if not item.is_featured:
            return item
        now = timezone.now()
        item.is_featured, item.featured_at = False, None
        item.save(update_fields=["is_featured", "featured_at"])
        record_event(item=item, actor=by, action=Action.UNFEATURED, at=now)
        item_changed(item.pk)
    return item


def item_archive(
    *,
    item: Item,
    by,
    comment: str = "",
    superseded_by: Item | None = None,
    at: datetime | None = None,
) -> Item:
    """Take an item out of the library (a proposal: decline it) at *at* (default now),
    optionally pointing to the published item that replaces it. Open change proposals of the
    item are declined."""
    comment = clean_comment(comment)
    with transaction.atomic():
        item = _curate(item, by)
        if item.state == State.ARCHIVED:
            return item
        if superseded_by is not None:
            superseded_by = Item.objects.filter(pk=superseded_by.pk).first()
            if superseded_by is None or superseded_by.community_id != item.community_id:
                raise ValidationError({"superseded_by": "Choose an item of this community."})
            if superseded_by.pk == item.pk:
                raise ValidationError({"superseded_by": "An item cannot replace itself."})
            if superseded_by.state != State.PUBLISHED:
                raise ValidationError(
                    {"superseded_by": "The replacement must be a published item."}
                )
        now = at or timezone.now()
        item.state = State.ARCHIVED
        item.archived_at = now
        item.superseded_by = superseded_by
        item.is_featured, item.featured_at = False, None
        item.save(
            update_fields=["state", "archived_at", "superseded_by", "is_featured", "featured_at"]
        )
        ChangeProposal.objects.filter(
            item=item,
            state__in=[ChangeProposal.State.PENDING, ChangeProposal.State.CHANGES_REQUESTED],
        ).update(
            state=ChangeProposal.State.DECLINED,
            decided_by=by,
            decided_at=now,
            updated_at=now,
            moderator_comment="The item was archived.",
        )
        if superseded_by is not None:
            note = f"Superseded by “{superseded_by.title}” (#{superseded_by.pk})."
            comment = f"{comment} — {note}" if comment else note
        record_event(item=item, actor=by, action=Action.ARCHIVED, comment=comment, at=now)
        item_changed(item.pk)
    return item


def item_unarchive(*, item: Item, by) -> Item:
    """Bring an archived item back: into the library if it had been published, else to the
    proposals."""
    with transaction.atomic():
        item = _curate(item, by)
        if item.state != State.ARCHIVED:
            return item
        now = timezone.now()
        item.state = State.PUBLISHED if item.published_at else State.PROPOSED
        item.archived_at = None
        item.superseded_by = None
        item.last_reviewed_at = now
        item.updated_at = now
        item.save(
            update_fields=[
                "state", "archived_at", "superseded_by", "last_reviewed_at", "updated_at"
            ]
        )  # fmt: skip
        record_event(item=item, actor=by, action=Action.UNARCHIVED, at=now)
        item_changed(item.pk)
    return item


def item_mark_reviewed(*, item: Item, by, comment: str = "") -> Item:
    """Say a moderator looked at a published item and it still holds (content health)."""
    comment = clean_comment(comment)
    with transaction.atomic():
        item = _curate(item, by)
        if item.state != State.PUBLISHED:
            raise ValidationError("Only published items are reviewed.")
        now = timezone.now()
        # A double click within a minute is one review.
        if item.last_reviewed_at and (now - item.last_reviewed_at).total_seconds() < 60:
            return item
        item.last_reviewed_at = now
        item.save(update_fields=["last_reviewed_at"])
        record_event(item=item, actor=by, action=Action.REVIEWED, comment=comment, at=now)
        item_changed(item.pk)
    return item
