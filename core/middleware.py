"""Reject input that no database can store, with a clear 400 instead of a 500 later."""

from django.http import JsonResponse
from django.shortcuts import render

_REASON = (
    "Your request contained a character that cannot be stored "
    "(a NUL character or an invalid Unicode sequence). "
    "Remove it and try again; nothing was saved."
)


def _is_storable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _all_storable(querydict) -> bool:
    for key, values in querydict.lists():
        if not _is_storable(key):
            return False
        for value in values:
            if isinstance(value, str) and not _is_storable(value):
                return False
    return True


class RejectUnstorableInputMiddleware:
    """Answer 400 when the path, query string or form data holds NUL characters or lone surrogates.

    PostgreSQL refuses NUL in text while SQLite silently stores it; rejecting at the edge gives
    both databases the same, clear behaviour and keeps such values out of every lookup.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_storable(request.path) or not _all_storable(request.GET):
            return self._reject(request)
        is_form_post = request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if is_form_post and not _all_storable(request.POST):
            return self._reject(request)
        return self.get_response(request)

    @staticmethod
    def _reject(request):
        if request.path.startswith("/api/"):
            # The JSON API's one error shape (api/v1/errors.py), not an HTML page.
            error = {"code": "unstorable_text", "message": _REASON, "fields": {}}
            return JsonResponse({"error": error}, status=400)
        return render(request, "400.html", {"reason": _REASON}, status=400)
