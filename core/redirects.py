"""Where a view may send the browser back to after a POST."""

from django.utils.http import url_has_allowed_host_and_scheme


def local_url(url: str) -> str | None:
    """Return *url* if it is a path on this site (never another host, scheme or ``//``)."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return url
    return None
