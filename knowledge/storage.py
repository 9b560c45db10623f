"""Where attachments live: outside MEDIA_ROOT, under names we choose, and with no URL.

Uploaded files are never served by the web server or by ``static()`` in development; the only
way to read one is the permission-checked download view, which sends it as an attachment that
cannot run script in Practica's origin.
"""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone


class AttachmentStorage(FileSystemStorage):
    """A file-system storage rooted at ``KNOWLEDGE_ATTACHMENT_ROOT`` that refuses to make URLs."""

    # Read the root on every use (not once at import) so tests and deployments can move it.
    @property
    def base_location(self):
        return str(settings.KNOWLEDGE_ATTACHMENT_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Attachments have no public address; serve them through the view.")


def attachment_storage():
    """The storage of attachments (a callable, so migrations name it rather than freeze it)."""
    if "knowledge_attachments" in settings.STORAGES:
        return storages["knowledge_attachments"]
    return AttachmentStorage()


def attachment_upload_to(instance, filename: str) -> str:
    """A random stored name: the uploader's file name is kept only as data (original_name)."""
    extension = os.path.splitext(filename)[1].lower()[:10]
    now = timezone.now()
    return f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}{extension}"
