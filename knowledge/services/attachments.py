"""Files attached to items: an allow-list of types checked by extension *and* content, a size
limit (``core.uploads``, which avatars use too), a per-item limit, random stored names. The
download view serves them; nothing else."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import uploads
from core.after_commit import on_commit_safely
from knowledge import permissions
from knowledge.changes import item_changed
from knowledge.models import CurationEvent, Item, ItemAttachment
from knowledge.services.items import lock_item, record_event

NAME_MAX_LENGTH = ItemAttachment._meta.get_field("original_name").max_length


def clean_filename(name: str) -> str:
    """The uploader's file name without folders, control characters or surrounding dots."""
    return uploads.clean_filename(name, max_length=NAME_MAX_LENGTH)


def check_upload(upload) -> tuple[str, str, str]:
    """Validate an uploaded file; return its clean name, extension and the type it is served as."""
    return uploads.check_upload(
        upload,
        types=settings.KNOWLEDGE_ATTACHMENT_TYPES,
        max_bytes=settings.KNOWLEDGE_ATTACHMENT_MAX_BYTES,
        name_length=NAME_MAX_LENGTH,
        use="attached",
    )


def attachment_add(*, item: Item, by, upload) -> ItemAttachment:
    """Attach *upload* to *item*; the same file (name and size) sent twice is attached once."""
    name, _extension, content_type = check_upload(upload)
    with transaction.atomic():
        item = lock_item(item)
        permissions.require_can_attach_files(user=by, item=item)
        existing = item.attachments.filter(original_name=name, size=upload.size).first()
        if existing is not None:
            return existing
        if item.attachments.count() >= settings.KNOWLEDGE_ATTACHMENTS_PER_ITEM:
            raise ValidationError(
                {
                    "file": f"An item holds at most {settings.KNOWLEDGE_ATTACHMENTS_PER_ITEM} "
                    "files; remove one first."
                }
            )
        now = timezone.now()
        attachment = ItemAttachment(
            item=item,
            original_name=name,
            content_type=content_type,
            size=upload.size,
            uploaded_by=by,
            uploaded_at=now,
        )
        attachment.file.save(name, upload, save=False)
        stored = attachment.file.name
        # The file is written before the row: if writing the row fails, remove the file again.
        try:
            attachment.save()
            record_event(
                item=item,
                actor=by,
                action=CurationEvent.Action.EDITED,
                comment=f"Attached “{name}”.",
                at=now,
            )
            item_changed(item.pk)
        except Exception:
            attachment.file.storage.delete(stored)
            raise
    return attachment


def attachment_remove(*, attachment: ItemAttachment, by) -> None:
    """Remove an attachment; the stored file goes once the removal is committed."""
    with transaction.atomic():
        item = lock_item(attachment.item)
        permissions.require_can_remove_files(user=by, item=item)
        attachment = ItemAttachment.objects.filter(pk=attachment.pk, item=item).first()
        if attachment is None:
            return
        storage, stored = attachment.file.storage, attachment.file.name
        name = attachment.original_name
        attachment.delete()
        record_event(
            item=item,
            actor=by,
            action=CurationEvent.Action.EDITED,
            comment=f"Removed the attachment “{name}”.",
            at=timezone.now(),
        )
        item_changed(item.pk)
        on_commit_safely(lambda: storage.delete(stored), name=f"delete the file {stored}")
