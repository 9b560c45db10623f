"""Restore an old revision of an item: one click for moderators, itself a new revision."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from knowledge import permissions
from knowledge.changes import item_changed
from knowledge.models import CurationEvent, Item, ItemRevision
from knowledge.services.items import (
    ItemContent,
    current_content,
    lock_item,
    record_event,
    write_revision,
)


def revision_restore(*, revision: ItemRevision, by) -> Item:
    """Make *revision*'s content current again (a new revision; history is never rewritten).

    Restoring what is already current changes nothing, so a double click is harmless.
    """
    with transaction.atomic():
        item = lock_item(revision.item)
        permissions.require_can_curate(user=by, community=item.community)
        if revision.item_id != item.pk:
            raise ValidationError("That revision belongs to another item.")
        content = ItemContent.of(revision, revision.tag_names)
        if content == current_content(item):
            return item
        now = timezone.now()
        write_revision(
            item=item,
            content=content,
            editor=by,
            comment=f"Restored revision {revision.number}",
            at=now,
        )
        item.save(
            update_fields=[
                "kind", "title", "summary", "body", "body_html", "revision_count", "updated_at"
            ]
        )  # fmt: skip
        record_event(
            item=item,
            actor=by,
            action=CurationEvent.Action.REVISION_RESTORED,
            comment=f"Restored revision {revision.number}.",
            at=now,
        )
        item_changed(item.pk)
    return item
