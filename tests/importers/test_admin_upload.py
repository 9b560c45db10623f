"""Imports started from the admin: the upload page, the queued run, the task and its progress."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from importers import runs
from importers.models import ImportRun, SourceRecord
from importers.tasks import import_run_task
from practice.models import Thread
from tests.factories import CommunityFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
MBOX = FIXTURES / "mbox" / "mailman2-cooks.txt"
DUMP = FIXTURES / "cooking.stackexchange.com"
UPLOAD = "admin:importers_importrun_upload"


@pytest.fixture
def community(db):
    return CommunityFactory(name="Home cooks", slug="cooks", visibility="open")


@pytest.fixture
def admin_client(db, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture(autouse=True)
def import_root(settings, tmp_path):
    settings.PRACTICA_IMPORT_ROOT = tmp_path / "imports"
    return settings.PRACTICA_IMPORT_ROOT


def dump_zip(folder="cooking.stackexchange.com") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(DUMP.iterdir()):
            archive.write(path, f"{folder}/{path.name}")
        archive.writestr(f"{folder}/../../evil.xml", "<x/>")  # never unpacked
    return buffer.getvalue()


def post_upload(client, community, data: bytes, name: str, **extra):
    return client.post(
        reverse(UPLOAD),
        {"community": community.pk, "upload": SimpleUploadedFile(name, data), **extra},
    )


def nothing_written(import_root) -> bool:
    files = list(import_root.rglob("*")) if import_root.exists() else []
    return not ImportRun.objects.exists() and not files and not Thread.objects.exists()


@pytest.mark.django_db
def test_upload_page_linked_from_the_runs_and_shows_the_form(admin_client):
    runs_page = admin_client.get(reverse("admin:importers_importrun_changelist")).content.decode()
    assert reverse(UPLOAD) in runs_page
    page = admin_client.get(reverse(UPLOAD))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert "at most 500 MB" in html


@pytest.mark.django_db
def test_upload_mbox_runs_the_task_and_shows_progress(
    admin_client, community, import_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(admin_client, community, MBOX.read_bytes(), "cooks.mbox")

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:importers_importrun_change", args=[run.pk])
    assert run.status == ImportRun.Status.DONE and run.source == "mbox" and run.site == "cooks"
    assert (run.processed, run.total) == (2, 2)
    assert Thread.objects.filter(community=community).count() == 2
    assert not list(import_root.rglob("*.mbox"))  # the upload is removed once imported
    page = admin_client.get(response["Location"]).content.decode()
    assert "2 of 2 threads (100 %)" in page and "threads/s" in page
    assert "messages imported" in page
    # Delivered again: nothing more.
    import_run_task.delay(run_id=run.pk)
    assert Thread.objects.filter(community=community).count() == 2


@pytest.mark.django_db
def test_upload_stackexchange_zip(admin_client, community, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_upload(admin_client, community, dump_zip(), "cooking.stackexchange.com.zip")

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DONE, run.error
    assert run.source == "stackexchange" and run.site == "cooking.stackexchange.com"
    assert run.processed == run.total == 3
    assert SourceRecord.objects.filter(kind="question", community=community).count() == 3


@pytest.mark.django_db
def test_upload_refusals_are_form_errors_and_write_nothing(
    admin_client, community, settings, import_root
):
    def errors_for(data, name, **extra):
        response = post_upload(admin_client, community, data, name, **extra)
        assert response.status_code == 200
        return response.content.decode()

    assert "This zip cannot be read" in errors_for(b"PK\x03\x04broken", "dump.zip")
    damaged = bytearray(dump_zip())
    damaged[200:210] = b"\xff" * 10  # inside Posts.xml's compressed data: a bad checksum
    assert "This zip cannot be read" in errors_for(bytes(damaged), "dump.zip")
    bad_zip = b"PK\x05\x06" + b"\0" * 18  # an empty zip: no Posts.xml
    assert "holds no Posts.xml" in errors_for(bad_zip, "dump.zip")
    assert "not an mbox archive" in errors_for(b"Dear all,\n", "notes.txt")
    assert "must be uploaded as a zip" in errors_for(
        MBOX.read_bytes(), "x.mbox", source="stackexchange"
    )
    assert "file is empty." in errors_for(b"", "empty.mbox")
    settings.PRACTICA_IMPORT_MAX_UPLOAD_MB = 0.001  # about 1 KB
    page = errors_for(MBOX.read_bytes(), "cooks.mbox")
    assert "the limit is" in page and "PRACTICA_IMPORT_MAX_UPLOAD_MB" in page
    assert nothing_written(import_root)


@pytest.mark.django_db
def test_upload_needs_csrf_and_a_site_admin(community, import_root):
    staff = UserFactory(is_staff=True)  # staff without the permission: no imports
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = post_upload(csrf_client, community, MBOX.read_bytes(), "cooks.mbox")
    assert response.status_code == 403
    client = Client()
    client.force_login(staff)
    response = post_upload(client, community, MBOX.read_bytes(), "cooks.mbox")
    assert response.status_code in (302, 403)
    anonymous = post_upload(Client(), community, MBOX.read_bytes(), "cooks.mbox")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert nothing_written(import_root)


@pytest.mark.django_db
def test_task_marks_a_run_whose_file_is_bad_as_failed(community, tmp_path):
    broken = tmp_path / "gone.mbox"
    run = ImportRun.objects.create(
        community=community, source="mbox", site="cooks", path=str(broken), status="queued"
    )
    import_run_task.delay(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "Could not open" in run.error
    assert runs.RUNNABLE  # a failed run may be run again: the import resumes


@pytest.mark.django_db
def test_a_failed_upload_is_run_again_from_the_admin(
    admin_client, community, tmp_path, django_capture_on_commit_callbacks
):
    archive = tmp_path / "cooks.mbox"
    archive.write_bytes(MBOX.read_bytes())
    failed = ImportRun.objects.create(
        community=community, source="mbox", site="cooks", path=str(archive), status="failed"
    )
    done = ImportRun.objects.create(
        community=community, source="mbox", site="cooks", path=str(archive), status="done"
    )
    url = reverse("admin:importers_importrun_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "run_again", "_selected_action": [failed.pk, done.pk]}, follow=True
        )
    assert "1 run(s) queued again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == ImportRun.Status.DONE and failed.processed == 2
    assert Thread.objects.filter(community=community).count() == 2
