"""The member's data export (accounts.data_export): their library contributions and files."""

from accounts.data_export import rows
from knowledge.models import (
    ChangeProposal,
    Evidence,
    ItemAttachment,
    ItemContributor,
    ItemRevision,
)
from knowledge.storage import attachment_storage


def member_section(user) -> dict:
    return {
        "contributions": rows(ItemContributor.objects.filter(user=user).order_by("added_at", "pk")),
        "item_revisions": rows(
            ItemRevision.objects.filter(editor=user).order_by("created_at", "pk")
        ),
        "change_proposals": rows(
            ChangeProposal.objects.filter(proposed_by=user).order_by("created_at", "pk")
        ),
        "evidence": rows(Evidence.objects.filter(member=user).order_by("created_at", "pk")),
        "attachments_uploaded": rows(
            ItemAttachment.objects.filter(uploaded_by=user).order_by("uploaded_at", "pk")
        ),
    }


def member_files(user):
    """The files the member uploaded, as ``attachments/<id>-<their file name>``."""
    storage = attachment_storage()
    for attachment in ItemAttachment.objects.filter(uploaded_by=user).order_by("pk"):
        name = attachment.original_name.replace("/", "_").replace("\\", "_")
        stored = attachment.file.name
        yield f"attachments/{attachment.pk}-{name}", (lambda s=stored: storage.open(s, "rb"))
