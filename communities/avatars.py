"""Members' faces: an uploaded picture, or initials on a colour of their own.

An upload passes the same checks as every file (``core.uploads``: type by extension and first
bytes, size), then Pillow verifies it, refuses images too large to decode safely, turns it
upright, crops it to a square and writes it again as WebP at two sizes. Writing it again drops
everything but the pixels (EXIF with its GPS position and camera, ICC profiles, comments), and
a file that only pretends to be an image never reaches a browser. The stored names are random
and change with every upload, so an address can be cached for ever and a page that names the
new picture is a new page (the thread page's post fragments are keyed on it).

Without a picture a member gets initials on one of ten colours chosen by their user id; each
colour holds white text at WCAG AA contrast (4.5:1 or more). Both are plain HTML and CSS.
"""

import re
import uuid
import warnings
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from PIL import Image, ImageOps, UnidentifiedImageError

from communities.models import Profile, display_name
from core.after_commit import on_commit_safely
from core.uploads import check_upload

TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
PILLOW_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_BYTES = 5 * 1024 * 1024
# Decoding costs memory by pixels, not bytes: a 5 MB PNG can hold a 20,000 × 20,000 image
# (1.6 GB once decoded). 25 megapixels is a good phone camera's photo.
MAX_PIXELS = 25_000_000
SIZES = (256, 64)
FOLDER = "avatars"
NAME = re.compile(r"^(?P<stem>[0-9a-f]{32})-(?P<size>256|64)\.webp$")
COLOURS = 10


def _refuse(message: str) -> ValidationError:
    return ValidationError({"avatar": message})


def avatar_images(upload) -> dict[int, bytes]:
    """Check *upload* and return the avatar at each of SIZES as WebP bytes, or raise a
    ValidationError on ``avatar`` that says what is wrong."""
    check_upload(upload, types=TYPES, max_bytes=MAX_BYTES, field="avatar", use="a picture")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind, (width, height) = probe.format, probe.size
            probe.verify()  # the whole file: truncated or corrupt data stops here
        if kind not in PILLOW_FORMATS:
            raise _refuse("This file is not a PNG, JPEG, GIF or WebP picture.")
        if width * height > MAX_PIXELS:
            raise _refuse(
                f"The picture is {width} × {height} pixels; make it smaller than "
                f"{MAX_PIXELS // 1_000_000} megapixels (for example 2000 × 2000)."
            )
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.seek(0)  # the first frame of an animation
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("This file is not a picture we can read; try a PNG or JPEG.") from None
    except (OSError, SyntaxError, ValueError, EOFError):  # Pillow's ways of saying "broken"
        raise _refuse("This picture is damaged or incomplete; try another file.") from None
    mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
    square = ImageOps.fit(upright.convert(mode), (SIZES[0], SIZES[0]), Image.Resampling.LANCZOS)
    images = {}
    for size in SIZES:
        resized = square if size == SIZES[0] else square.resize((size, size), Image.LANCZOS)
        buffer = BytesIO()
        # A new image carries no metadata unless it is passed in (exif=, icc_profile=).
        resized.save(buffer, "WEBP", quality=85, method=4)
        images[size] = buffer.getvalue()
    return images


def stored_name(stem: str, size: int) -> str:
    return f"{FOLDER}/{stem}-{size}.webp"


def _delete_files(stem: str) -> None:
    for size in SIZES:
        default_storage.delete(stored_name(stem, size))


def profile_avatar_set(*, user, upload) -> Profile:
    """Make *upload* *user*'s picture; the previous one's files go once this is committed."""
    images = avatar_images(upload)  # refused input writes nothing
    stem = uuid.uuid4().hex
    for size, data in images.items():
        default_storage.save(stored_name(stem, size), ContentFile(data))
    try:
        with transaction.atomic():
            profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
            previous = profile.avatar
            profile.avatar = stem
            profile.save(update_fields=["avatar", "updated_at"])
            if previous:
                on_commit_safely(lambda: _delete_files(previous), name="delete an old avatar")
    except Exception:
        _delete_files(stem)
        raise
    return profile


def profile_avatar_remove(*, user) -> Profile:
    """Go back to initials; the picture's files go once this is committed."""
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        previous = profile.avatar
        if previous:
            profile.avatar = ""
            profile.save(update_fields=["avatar", "updated_at"])
            on_commit_safely(lambda: _delete_files(previous), name="delete a removed avatar")
    return profile


# --- showing a face ----------------------------------------------------------------------------


def initials(name: str) -> str:
    """One or two letters for *name*: "Sam Rivera" → "SR", "demo" → "D"."""
    words = [w for w in re.split(r"[\s._\-@]+", name or "") if w]
    letters = [next((ch for ch in w if ch.isalnum()), "") for w in words]
    letters = [ch for ch in letters if ch]
    if not letters:
        return "?"
    return (letters[0] + (letters[-1] if len(letters) > 1 else "")).upper()


def colour_index(user_id) -> int:
    return (user_id or 0) % COLOURS


def avatar_url(stem: str, size: int) -> str:
    return reverse("communities:avatar", args=[f"{stem}-{size}.webp"])


def avatar_html(*, user_id, name: str, stem: str, size: int = 32):
    """The face of a member shown *size* CSS pixels wide: their picture, else their initials.
    Decorative (empty alt, aria-hidden): the name is always written beside it."""
    if stem:
        file_size = 64 if size <= 48 else 256
        return format_html(
            '<img class="avatar" src="{}" width="{}" height="{}" alt="" loading="lazy">',
            avatar_url(stem, file_size),
            size,
            size,
        )
    return format_html(
        '<span class="avatar avatar-initials avatar-c{}" style="width:{}px;height:{}px;'
        'font-size:{}px" aria-hidden="true">{}</span>',
        colour_index(user_id),
        size,
        size,
        max(10, round(size * 0.4)),
        initials(name),
    )


def avatar_for(user, size: int = 32):
    """``avatar_html`` for a user whose profile was loaded with them (``select_related``)."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return avatar_html(
        user_id=user.pk,
        name=display_name(user),
        stem=profile.avatar if profile is not None else "",
        size=size,
    )
