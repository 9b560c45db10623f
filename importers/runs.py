"""Run an import the admin queued (the body of ``importers.tasks.import_run_task``)."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.db import transaction

from importers.common import run_finish
from importers.mbox_archive import MboxError
from importers.mbox_import import mbox_import
from importers.models import ImportRun, Source
from importers.report import ImportReport
from importers.services import stackexchange_import
from importers.stackexchange_dump import FILES, DumpError

# A run in these states is (re)run by the task: queued, or failed (the imports resume where
# they stopped, so running a failed one again finishes it).
RUNNABLE = (ImportRun.Status.QUEUED, ImportRun.Status.FAILED)


def dump_members(archive: zipfile.ZipFile) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """The folder of the zip that holds Posts.xml, and its dump files by name."""
    folders: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or path.suffix.lower() != ".xml" or path.stem not in FILES:
            continue
        folders.setdefault(str(path.parent), {})[path.stem] = info
    with_posts = [f for f, files in folders.items() if "Posts" in files]
    if not with_posts:
        raise ValidationError(
            "This zip holds no Posts.xml: upload the zip of one site's data dump (Stack "
            "Exchange publishes them as .7z: unpack it and zip the folder)."
        )
    if len(with_posts) > 1:
        raise ValidationError("This zip holds more than one site's dump: upload one at a time.")
    folder = with_posts[0]
    return folder, folders[folder]


def _unpack_dump(path: str, into: str) -> None:
    """Unpack the dump's XML files (and nothing else, by their names only) into *into*."""
    with zipfile.ZipFile(path) as archive:
        _, members = dump_members(archive)
        for name, info in members.items():
            with archive.open(info) as src, open(os.path.join(into, f"{name}.xml"), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def import_run_execute(*, run_id: int) -> None:
    """Run a queued (or failed) import. A finished run, or one another worker is running, is
    left alone: the task may be delivered twice."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in RUNNABLE:
            return
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["status"])
    try:
        if run.source == Source.STACKEXCHANGE:
            with tempfile.TemporaryDirectory(prefix="practica-upload-") as tmp:
                _unpack_dump(run.path, tmp)
                stackexchange_import(
                    directory=tmp,
                    community=run.community,
                    site=run.site,
                    started_by=run.started_by,
                    run=run,
                )
        else:
            mbox_import(
                path=run.path,
                community=run.community,
                site=run.site,
                started_by=run.started_by,
                run=run,
            )
    except (DumpError, MboxError, zipfile.BadZipFile, zlib.error, OSError, ValidationError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        run.refresh_from_db()
        report = ImportReport()
        report.note(message)
        run_finish(run, report, status=ImportRun.Status.FAILED, error=message)
        return
    shutil.rmtree(Path(run.path).parent, ignore_errors=True)
