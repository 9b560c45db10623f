"""Attachments: type and size limits checked by extension and content, stored outside
MEDIA_ROOT under random names, served only by the permission-checked view as downloads that
cannot run script in our origin."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.models import ItemAttachment
from knowledge.services import attachments
from knowledge.storage import AttachmentStorage, attachment_storage
from tests.factories import UserFactory
from tests.knowledge.ka_helpers import propose, publish
from tests.practice.factories import member_of, moderator_of

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%fake but well-formed enough\n"


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.KNOWLEDGE_ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def setup(open_community):
    member, moderator = member_of(open_community), moderator_of(open_community)
    item = publish(open_community, member, moderator)
    return open_community, item, member, moderator


def upload(name="guide.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_attachment_stored_privately_under_a_random_name(setup, attachment_root):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload("Guide v2.pdf"))
    assert attachment.original_name == "Guide v2.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert "Guide" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    stored = attachment_root / "attachments" / attachment.file.name
    assert stored.read_bytes() == PDF
    assert not (attachment_root / "media").exists()
    assert isinstance(attachment_storage(), AttachmentStorage)
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 (no public address, by design)
    assert item.curation_events.last().comment == "Attached “Guide v2.pdf”."


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("page.html", b"<script>alert(1)</script>", "cannot be attached"),
        ("image.svg", b"<svg onload=alert(1)>", "cannot be attached"),
        ("run.exe", b"MZ", "cannot be attached"),
        ("noextension", b"data", "cannot be attached"),
        ("fake.pdf", b"<html><script>alert(1)</script>", "not a .pdf file"),
        ("fake.png", b"GIF89a....", "not a .png file"),
        ("fake.docx", b"%PDF-1.4", "not a .docx file"),
        ("notes.txt", b"\xff\xfe\x00bad", "UTF-8"),
        ("nul.csv", b"a,b\x00,c", "NUL"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_attachment_types_are_checked_by_extension_and_content(setup, name, data, message):
    _community, item, _member, moderator = setup
    with pytest.raises(Exception) as error:
        attachments.attachment_add(item=item, by=moderator, upload=upload(name, data))
    assert message in " ".join(error.value.messages)
    assert not ItemAttachment.objects.exists()


def test_attachment_size_limit(setup, settings):
    _community, item, _member, moderator = setup
    settings.KNOWLEDGE_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(Exception) as error:
        attachments.attachment_add(item=item, by=moderator, upload=upload(data=PDF + b"x" * 200))
    assert "the limit is" in " ".join(error.value.messages)


def test_attachment_count_limit(setup, settings):
    _community, item, _member, moderator = setup
    settings.KNOWLEDGE_ATTACHMENTS_PER_ITEM = 2
    for i in range(2):
        attachments.attachment_add(item=item, by=moderator, upload=upload(f"f{i}.pdf"))
    with pytest.raises(Exception) as error:
        attachments.attachment_add(item=item, by=moderator, upload=upload("f3.pdf"))
    assert "at most 2" in " ".join(error.value.messages)


def test_the_same_file_sent_twice_is_attached_once(setup):
    _community, item, _member, moderator = setup
    first = attachments.attachment_add(item=item, by=moderator, upload=upload())
    second = attachments.attachment_add(item=item, by=moderator, upload=upload())
    assert first.pk == second.pk
    assert ItemAttachment.objects.count() == 1


def test_file_names_are_cleaned():
    assert attachments.clean_filename("../../etc/passwd.txt") == "passwd.txt"
    assert attachments.clean_filename("C:\\Users\\me\\plan.pdf") == "plan.pdf"
    assert attachments.clean_filename("a\x00b\x1f\u202ec.pdf") == "abc.pdf"
    assert attachments.clean_filename("  .hidden.pdf. ") == "hidden.pdf"
    long = attachments.clean_filename("x" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_only_editors_attach_and_remove(setup):
    _community, item, member, moderator = setup
    with pytest.raises(PermissionDenied):
        attachments.attachment_add(item=item, by=member, upload=upload())  # published: moderators
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload())
    with pytest.raises(PermissionDenied):
        attachments.attachment_remove(attachment=attachment, by=member)
    proposal = propose(item.community, member)
    attachments.attachment_add(item=proposal, by=member, upload=upload("mine.pdf"))


def test_attachment_remove_deletes_the_row_and_the_file(
    setup, attachment_root, django_capture_on_commit_callbacks
):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload())
    stored = attachment_root / "attachments" / attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachments.attachment_remove(attachment=attachment, by=moderator)
    assert not ItemAttachment.objects.exists()
    assert not stored.exists()


# --- serving -----------------------------------------------------------------------------------


def download_url(attachment):
    item = attachment.item
    return reverse("knowledge:attachment", args=[item.community.slug, item.pk, attachment.pk])


@pytest.mark.parametrize(
    "name,data,content_type",
    [
        ("guide.pdf", PDF, "application/pdf"),
        ("notes.txt", b"<html><script>alert(1)</script></html>", "text/plain"),
        ("picture.png", b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>", "image/png"),
    ],
)
def test_download_is_an_attachment_that_cannot_run_script(client, setup, name, data, content_type):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(
        item=item, by=moderator, upload=upload(name, data, "text/html")
    )
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == content_type  # ours, never what the browser claimed
    assert response["Content-Disposition"].startswith("attachment;")
    assert name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "private" in response["Cache-Control"]


def test_download_of_an_odd_file_name_is_quoted(client, setup):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(
        item=item, by=moderator, upload=upload('Plan "final"; ünïcode.pdf')
    )
    disposition = client.get(download_url(attachment))["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\n" not in disposition and "filename*=utf-8''" in disposition


def test_no_public_media_address_serves_attachments(client, setup):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload())
    for prefix in ("/media/", "/media/attachments/", "/private_media/attachments/"):
        assert client.get(prefix + attachment.file.name).status_code == 404


def test_download_of_a_private_or_proposed_item_is_a_404_for_outsiders(
    client, private_community, open_community
):
    member, moderator = member_of(private_community), moderator_of(private_community)
    item = publish(private_community, member, moderator)
    private_file = attachments.attachment_add(item=item, by=moderator, upload=upload())
    proposer = member_of(open_community)
    proposal = propose(open_community, proposer)
    proposal_file = attachments.attachment_add(item=proposal, by=proposer, upload=upload())
    assert client.get(download_url(private_file)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(download_url(private_file)).status_code == 404
    assert client.get(download_url(proposal_file)).status_code == 404
    client.force_login(member)
    assert client.get(download_url(private_file)).status_code == 200
    # An attachment id under another item's address is not found either.
    other = publish(private_community, member, moderator)
    wrong = reverse("knowledge:attachment", args=["sre", other.pk, private_file.pk])
    assert client.get(wrong).status_code == 404


def test_download_of_a_missing_file_is_a_404(client, setup, attachment_root):
    _community, item, _member, moderator = setup
    attachment = attachments.attachment_add(item=item, by=moderator, upload=upload())
    (attachment_root / "attachments" / attachment.file.name).unlink()
    assert client.get(download_url(attachment)).status_code == 404


def test_attach_through_the_view_with_errors_next_to_the_field(client, setup):
    community, item, _member, moderator = setup
    client.force_login(moderator)
    url = reverse("knowledge:attachment_add", args=[community.slug, item.pk])
    response = client.post(url, {"file": upload("page.html", b"<html>")})
    assert response.status_code == 400
    assert "cannot be attached" in response.content.decode()
    response = client.post(url, {})
    assert response.status_code == 400 and "Choose a file" in response.content.decode()
    response = client.post(url, {"file": upload()})
    assert response.status_code == 302
    response = client.post(url, {"file": upload()})  # a double submit
    assert ItemAttachment.objects.count() == 1
    attachment = ItemAttachment.objects.get()
    remove = reverse("knowledge:attachment_remove", args=[community.slug, item.pk, attachment.pk])
    assert client.post(remove).status_code == 302
    assert not ItemAttachment.objects.exists()


def test_members_cannot_attach_to_published_items_through_the_view(client, setup):
    community, item, member, _moderator = setup
    client.force_login(member)
    url = reverse("knowledge:attachment_add", args=[community.slug, item.pk])
    assert client.post(url, {"file": upload()}).status_code == 403
