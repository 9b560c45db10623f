"""Files attached to items: an allow-list of types checked by extension *and* content, a size
limit, a per-item limit, random stored names. The download view serves them; nothing else."""

import os
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.after_commit import on_commit_safely
from knowledge import permissions
from knowledge.changes import item_changed
from knowledge.models import CurationEvent, Item, ItemAttachment
from knowledge.services.items import lock_item, record_event

NAME_MAX_LENGTH = ItemAttachment._meta.get_field("original_name").max_length
ZIP_MAGIC = b"PK\x03\x04"
# What the first bytes of each allowed type look like; text types are checked as UTF-8.
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "docx": (ZIP_MAGIC,),
    "xlsx": (ZIP_MAGIC,),
    "pptx": (ZIP_MAGIC,),
    "odt": (ZIP_MAGIC,),
    "ods": (ZIP_MAGIC,),
    "odp": (ZIP_MAGIC,),
}
TEXT_TYPES = {"txt", "md", "csv"}


def clean_filename(name: str) -> str:
    """The uploader's file name without folders, control characters or surrounding dots."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX_LENGTH:
        stem, extension = os.path.splitext(name)
        name = stem[: NAME_MAX_LENGTH - len(extension)] + extension
    return name


def _human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _allowed_list() -> str:
    return ", ".join(sorted(settings.KNOWLEDGE_ATTACHMENT_TYPES))


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def check_upload(upload) -> tuple[str, str, str]:
    """Validate an uploaded file; return its clean name, extension and the type it is served as."""
    name = clean_filename(getattr(upload, "name", ""))
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    types = settings.KNOWLEDGE_ATTACHMENT_TYPES
    if not name or extension not in types:
        raise ValidationError(
            {"file": f"Files of this type cannot be attached. Allowed: {_allowed_list()}."}
        )
    size = upload.size or 0
    limit = settings.KNOWLEDGE_ATTACHMENT_MAX_BYTES
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    if size > limit:
        raise ValidationError(
            {"file": f"The file is {_human_size(size)}; the limit is {_human_size(limit)}."}
        )
    if extension in TEXT_TYPES:
        data = _read_all(upload)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({"file": "A text file must be UTF-8 text."}) from None
        if b"\x00" in data:
            raise ValidationError({"file": "A text file must not contain NUL bytes."})
    else:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(magic) for magic in MAGIC.get(extension, (b"",))):
            raise ValidationError(
                {"file": f"This file's content is not a .{extension} file; check the file."}
            )
    return name, extension, types[extension]


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
