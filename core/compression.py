"""Compress what Practica renders, not the files it hands out."""

from django.http import FileResponse
from django.middleware.gzip import GZipMiddleware


class RenderedGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH length padding), except for file downloads.

    A ``FileResponse`` streams a stored file (an attachment: often PDF, PNG or zip, already
    compressed): gzip would spend CPU for nothing and drop its ``Content-Length``, which a
    download's progress bar needs. Pages, feeds and exports are text we render; they compress.
    """

    def process_response(self, request, response):
        if isinstance(response, FileResponse):
            return response
        return super().process_response(request, response)
