"""Checks every uploaded file passes before anything reads or stores it: an allow-list of types
by extension *and* by the file's first bytes, a size limit, and a clean file name.

Knowledge's attachments and communities' avatars both call ``check_upload``, each with its own
types and limit, so the two never drift apart.
"""

import os
import unicodedata

from django.core.exceptions import ValidationError

ZIP_MAGIC = b"PK\x03\x04"
# What the first bytes of each type look like; text types are checked as UTF-8 instead.
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),  # then four bytes of length, then "WEBP" (checked below)
    "docx": (ZIP_MAGIC,),
    "xlsx": (ZIP_MAGIC,),
    "pptx": (ZIP_MAGIC,),
    "odt": (ZIP_MAGIC,),
    "ods": (ZIP_MAGIC,),
    "odp": (ZIP_MAGIC,),
}
TEXT_TYPES = {"txt", "md", "csv"}


def clean_filename(name: str, *, max_length: int) -> str:
    """The uploader's file name without folders, control characters or surrounding dots."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    if len(name) > max_length:
        stem, extension = os.path.splitext(name)
        name = stem[: max_length - len(extension)] + extension
    return name


def human_size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _looks_like(extension: str, head: bytes) -> bool:
    if not any(head.startswith(magic) for magic in MAGIC.get(extension, (b"",))):
        return False
    return extension != "webp" or head[8:12] == b"WEBP"


def check_upload(
    upload,
    *,
    types: dict[str, str],
    max_bytes: int,
    field: str = "file",
    name_length: int = 255,
    use: str = "used here",
) -> tuple[str, str, str]:
    """Validate *upload* against *types* (extension → the content type it is served as) and
    *max_bytes*; return its clean name, extension and content type, or raise a ValidationError
    on *field* that says what to do."""
    name = clean_filename(getattr(upload, "name", ""), max_length=name_length)
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if not name or extension not in types:
        allowed = ", ".join(sorted(types))
        raise ValidationError({field: f"Files of this type cannot be {use}. Allowed: {allowed}."})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({field: "The file is empty."})
    if size > max_bytes:
        raise ValidationError(
            {field: f"The file is {human_size(size)}; the limit is {human_size(max_bytes)}."}
        )
    if extension in TEXT_TYPES:
        data = _read_all(upload)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({field: "A text file must be UTF-8 text."}) from None
        if b"\x00" in data:
            raise ValidationError({field: "A text file must not contain NUL bytes."})
    else:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not _looks_like(extension, head):
            raise ValidationError(
                {field: f"This file's content is not a .{extension} file; check the file."}
            )
    return name, extension, types[extension]
