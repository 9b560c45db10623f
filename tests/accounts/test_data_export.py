"""A member downloads everything Practica keeps about them, as an archive prepared in the
background; nobody else's identity is in it, and only the member can fetch it, until it expires."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import DataExport
from communities.avatars import profile_avatar_set
from core.email import email_queue
from core.models import OutboundEmail
from knowledge.services.attachments import attachment_add
from metrics import services as metrics_services
from metrics.exports import pseudonym
from notifications.models import Notification
from practice.services import endorsements, follows
from tests.knowledge.ka_helpers import propose
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db
GUIDE = b"%PDF-1.4 rosa's guide"
ROSAS_ANSWER = "Silicone foam, changed every third day."


@pytest.fixture(autouse=True)
def private_roots(settings, tmp_path):
    settings.PRACTICA_EXPORT_ROOT = tmp_path / "exports"
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def history(open_community, django_capture_on_commit_callbacks):
    community = open_community
    rosa = member_of(community, username="rosa", email="rosa@example.org")
    other = member_of(community, username="OTHERCANARY", email="other-canary@example.org")
    other.first_name, other.last_name = "Canary", "Otherperson"
    other.save()
    thread = ask(community, other, title="Which foam for heels?", body="CANARY-THEIR-QUESTION")
    post = answer(thread, rosa, body=ROSAS_ANSWER)
    endorsements.vote_set(
        post=answer(thread, other, body="CANARY-THEIR-ANSWER"), voter=rosa, helpful=True
    )
    endorsements.adoption_report(post=post, member=other, worked=True)
    follows.thread_follow(user=rosa, thread=thread)
    item = propose(community, rosa, title="Heel offloading guide")
    attachment_add(
        item=item,
        by=rosa,
        upload=SimpleUploadedFile(
            "guide.pdf", b"%PDF-1.4 rosa's guide", content_type="application/pdf"
        ),
    )
    metrics_services.metrics_compute(community_id=community.pk)
    return {"community": community, "rosa": rosa, "other": other}


def fetch_archive(client, user, django_capture_on_commit_callbacks) -> zipfile.ZipFile:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:your_data"))
    assert response.status_code == 302
    export = DataExport.objects.get(user=user)
    assert export.status == DataExport.Status.READY
    download = client.get(reverse("accounts:data_export_download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))


def test_the_archive_holds_the_members_data_and_files(
    client, history, django_capture_on_commit_callbacks
):
    rosa, community = history["rosa"], history["community"]
    archive = fetch_archive(client, rosa, django_capture_on_commit_callbacks)
    data = json.loads(archive.read("practica-data.json"))
    assert data["account"]["user"]["username"] == "rosa"
    assert [m["community"] for m in data["communities"]["memberships"]] == [community.slug]
    assert [p["body"] for p in data["practice"]["posts"]] == [
        "Silicone foam, changed every third day."
    ]
    assert len(data["practice"]["votes"]) == 1
    assert [f["thread_id"] for f in data["practice"]["follows"]] == [
        data["practice"]["posts"][0]["thread_id"]
    ]
    assert data["knowledge"]["attachments_uploaded"][0]["original_name"] == "guide.pdf"
    attachment_name = next(n for n in archive.namelist() if n.startswith("files/attachments/"))
    assert archive.read(attachment_name) == GUIDE
    assert data["metrics"]["level_history"], "the level computed by the dashboard run"
    # Ties and interactions name the other person by their pseudonym in that community.
    expected = pseudonym(community.pk, history["other"].pk)
    assert {tie["other"] for tie in data["metrics"]["ties"]} == {expected}
    assert {row["other"] for row in data["metrics"]["interactions"]} == {expected}
    assert {row["direction"] for row in data["metrics"]["interactions"]} == {"given", "received"}


def test_nobody_elses_identity_is_in_the_archive(
    client, history, django_capture_on_commit_callbacks
):
    archive = fetch_archive(client, history["rosa"], django_capture_on_commit_callbacks)
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode(
        "utf-8", "replace"
    )
    other = history["other"]
    for secret in ("OTHERCANARY", "other-canary@example.org", "Otherperson", "CANARY-THEIR"):
        assert secret not in everything, secret
    assert f'"user_id": {other.pk}' not in everything
    assert f'"author_id": {other.pk}' not in everything


def test_only_the_member_downloads_it_and_only_until_it_expires(
    client, history, django_capture_on_commit_callbacks
):
    rosa = history["rosa"]
    fetch_archive(client, rosa, django_capture_on_commit_callbacks)
    export = DataExport.objects.get(user=rosa)
    url = reverse("accounts:data_export_download", args=[export.pk])
    client.force_login(history["other"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(rosa)
    assert services.data_exports_expire(now=timezone.now() + timedelta(days=8)) == 1
    assert client.get(url).status_code == 404
    export.refresh_from_db()
    assert export.file_name == ""


def test_the_member_is_emailed_and_cannot_ask_twice_a_day(
    client, history, django_capture_on_commit_callbacks
):
    rosa = history["rosa"]
    fetch_archive(client, rosa, django_capture_on_commit_callbacks)
    notice = OutboundEmail.objects.get(to=[rosa.email], subject__contains="archive")
    assert "/accounts/data/" in notice.body
    again = client.post(reverse("accounts:your_data"), follow=True)
    assert "once a day" in again.content.decode()
    assert DataExport.objects.filter(user=rosa).count() == 1


def test_building_twice_does_nothing_the_second_time(history):
    export = DataExport.objects.create(user=history["rosa"], requested_at=timezone.now())
    assert services.data_export_build(export_id=export.pk) is True
    first = DataExport.objects.get(pk=export.pk).file_name
    assert services.data_export_build(export_id=export.pk) is False
    assert DataExport.objects.get(pk=export.pk).file_name == first


def test_the_page_needs_a_signed_in_member_and_csrf(client, history):
    assert client.get(reverse("accounts:your_data")).status_code == 302
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(history["rosa"])
    assert csrf_client.post(reverse("accounts:your_data")).status_code == 403
    assert not DataExport.objects.exists()


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (20, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def test_the_archive_holds_the_members_picture(client, history, django_capture_on_commit_callbacks):
    rosa = history["rosa"]
    profile_avatar_set(user=rosa, upload=_png())
    archive = fetch_archive(client, rosa, django_capture_on_commit_callbacks)
    picture = Image.open(io.BytesIO(archive.read("files/avatar.webp")))
    assert picture.size == (256, 256)


def test_the_archive_holds_the_notices_and_emails_the_member_received(
    client, history, django_capture_on_commit_callbacks
):
    """Received notices and the emails sent to the member's addresses are theirs; the people
    they were about are "A member" there, and emails to other addresses stay out."""
    rosa, other, community = history["rosa"], history["other"], history["community"]
    Notification.objects.create(
        recipient=rosa,
        actor=other,
        community=community,
        kind=Notification.Kind.REPLY,
        text="Canary Otherperson answered “Which foam for heels?”",
        url="/u/OTHERCANARY/",
        created_at=timezone.now(),
    )
    Notification.objects.create(
        recipient=other,
        community=community,
        kind=Notification.Kind.REPLY,
        text="NOT-ROSAS-NOTICE",
        url="/",
        created_at=timezone.now(),
    )
    email_queue(
        message=EmailMessage(
            "OTHERCANARY replied to you", "Canary Otherperson wrote: hello rosa", to=[rosa.email]
        )
    )
    reset = "http://testserver/accounts/password/reset/key/2-cz1f8d-0d9a7b1c2e3f4a5b6c7d8e9f/"
    email_queue(message=EmailMessage("Password reset", f"Choose one: {reset}", to=[rosa.email]))
    email_queue(message=EmailMessage("NOT-ROSAS-EMAIL", "x", to=[f"xrosa{rosa.email}"]))
    email_queue(
        message=EmailMessage("To both", "hello", to=["other-canary@example.org", rosa.email])
    )

    archive = fetch_archive(client, rosa, django_capture_on_commit_callbacks)
    data = json.loads(archive.read("practica-data.json"))

    notices = data["notifications"]["notices"]
    assert "A member answered “Which foam for heels?”" in [n["text"] for n in notices]
    assert "/u/A member/" in [n["url"] for n in notices]
    assert "NOT-ROSAS-NOTICE" not in json.dumps(notices)
    emails = data["notifications"]["emails"]
    subjects = [e["subject"] for e in emails]
    assert "A member replied to you" in subjects and "To both" in subjects
    assert "A member wrote: hello rosa" in [e["body"] for e in emails]
    assert "NOT-ROSAS-EMAIL" not in subjects
    assert {tuple(e["to"]) for e in emails} == {(rosa.email,)}
    # A key that would still open the account does not travel with the archive.
    assert "Choose one: http://testserver/accounts/password/reset/key/[key removed]/" in [
        e["body"] for e in emails
    ]
    assert "0d9a7b1c2e3f4a5b6c7d8e9f" not in json.dumps(data)
    # The export-ready email itself is queued after the archive is built: not in it.
    assert all(e["status"] in {"pending", "sent", "failed"} for e in emails)
