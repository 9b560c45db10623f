"""Imports started from the admin: an uploaded file kept, a queued run, and its execution.

The upload (a zip of a Stack Exchange dump, or an mbox, gzipped or not) is checked before
anything is written (``upload_check``: size, kind, a zip that opens and holds a ``Posts.xml``),
kept under ``PRACTICA_IMPORT_ROOT`` (no URL), and a queued ``ImportRun`` made; the Celery
task (``importers.tasks``) calls ``importers.runs.import_run_execute``, which runs the same
import as the command, its progress written on the run. Running it twice is harmless: a
finished run is left alone, and the imports themselves add nothing twice.
"""

from __future__ import annotations

import gzip
import os
import uuid
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from communities.models import Community
from importers.models import ImportRun, Source
from importers.runs import dump_members
from importers.tasks import import_run_task

DEFAULT_MAX_UPLOAD_MB = 500
# A zip may not unpack to more than this many times its own size (a "zip bomb" is refused).
MAX_UNPACK_RATIO = 40


def max_upload_bytes() -> int:
    mb = getattr(settings, "PRACTICA_IMPORT_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)
    return int(float(mb) * 1024 * 1024)


def import_root() -> Path:
    default = Path(settings.BASE_DIR) / "private_media" / "imports"
    return Path(getattr(settings, "PRACTICA_IMPORT_ROOT", default))


def upload_check(*, upload, source: str) -> str:
    """Check an uploaded file before anything is written; return its source (the kind of
    import), or raise ``ValidationError`` with one sentence."""
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            f"This file is {upload.size / 1024 / 1024:,.1f} MB; the limit is "
            f"{limit / 1024 / 1024:,.0f} MB (PRACTICA_IMPORT_MAX_UPLOAD_MB)."
        )
    if upload.size == 0:
        raise ValidationError("This file is empty.")
    upload.seek(0)
    is_zip = zipfile.is_zipfile(upload)
    upload.seek(0)
    if not is_zip and (upload.name or "").lower().endswith(".zip"):
        raise ValidationError("This zip cannot be read: it is damaged or not a zip file.")
    if not source:
        source = Source.STACKEXCHANGE if is_zip else Source.MBOX
    if source == Source.STACKEXCHANGE:
        if not is_zip:
            raise ValidationError("A Stack Exchange dump must be uploaded as a zip file.")
        try:
            with zipfile.ZipFile(upload) as archive:
                _, members = dump_members(archive)
                unpacked = sum(info.file_size for info in members.values())
                if unpacked > max(upload.size, 1) * MAX_UNPACK_RATIO:
                    raise ValidationError("This zip unpacks to far more than its size: refused.")
                # Read every dump file through (checksums included) before keeping anything.
                for info in members.values():
                    with archive.open(info) as member:
                        while member.read(1 << 20):
                            pass
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise ValidationError(f"This zip cannot be read ({exc}).") from exc
        finally:
            upload.seek(0)
    else:
        head = upload.read(4096)
        upload.seek(0)
        if head[:2] == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=upload) as unpacked:
                    head = unpacked.read(4096)
            except (OSError, EOFError) as exc:
                raise ValidationError(f"This gzip file cannot be read ({exc}).") from exc
            finally:
                upload.seek(0)
        if not head.lstrip().startswith(b"From "):
            raise ValidationError(
                "This is not an mbox archive: it does not start with a “From ” line."
            )
    return source


def import_upload_queue(*, upload, community: Community, source: str, site: str, by) -> ImportRun:
    """Keep the uploaded file and queue its import (the task starts after the commit)."""
    source = upload_check(upload=upload, source=source)
    folder = import_root() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    name = os.path.basename(upload.name or "upload") or "upload"
    path = folder / name
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if not site:
        stem = name.split(".")[0]
        site = stem if source == Source.MBOX or "." not in name[:-4] else name.rsplit(".", 1)[0]
    with transaction.atomic():
        run = ImportRun.objects.create(
            community=community,
            source=source,
            site=site[:200],
            path=str(path),
            started_by=by,
            status=ImportRun.Status.QUEUED,
        )
        transaction.on_commit(lambda: import_run_task.delay(run_id=run.pk))
    return run


# A running run whose progress has not moved for this long is taken for stalled (its worker
# was killed): it may be queued again.
STALLED_AFTER = timedelta(minutes=15)


def import_run_requeue(*, run: ImportRun) -> bool:
    """Queue a failed or stalled run of an uploaded file again (the import resumes where it
    stopped); return whether it was queued."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        last = run.progress_at or run.started_at
        stalled = run.status == ImportRun.Status.RUNNING and timezone.now() - last > STALLED_AFTER
        if not (run.status == ImportRun.Status.FAILED or stalled) or not os.path.isfile(run.path):
            return False
        run.status = ImportRun.Status.QUEUED
        run.error = ""
        run.save(update_fields=["status", "error"])
        transaction.on_commit(lambda: import_run_task.delay(run_id=run.pk))
    return True
