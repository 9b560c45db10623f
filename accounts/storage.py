"""Where data-export archives wait for their member: outside MEDIA_ROOT, with no URL."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class ExportStorage(FileSystemStorage):
    # The root is read on every use, so tests and deployments can move it.
    @property
    def base_location(self):
        return str(settings.PRACTICA_EXPORT_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Exports have no public address; the member downloads them by the view.")


export_storage = ExportStorage()
