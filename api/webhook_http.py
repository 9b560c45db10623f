"""Send one webhook request without letting a URL reach inside our network (SSRF).

The host is resolved once, every address it resolves to must be public (unless
``PRACTICA_WEBHOOKS_ALLOW_PRIVATE``, for tests and local development), and the connection goes
to that very address: a DNS answer that changes between the check and the request (rebinding)
cannot redirect it. Redirects are not followed; only http and https are spoken.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# A receiver answers quickly and does its work later; a slow one is a failed attempt.
TIMEOUT_SECONDS = 10
# What we read of an answer (its status is what counts; the rest is for the log).
MAX_ANSWER_BYTES = 2048


class UnsafeURL(ValueError):
    """The URL is not http(s), or its host resolves to an address we refuse to call."""


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    duration_ms: int
    error: str


def allow_private() -> bool:
    return bool(getattr(settings, "PRACTICA_WEBHOOKS_ALLOW_PRIVATE", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, address to connect to) for *url*, or raise UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL("This is not a valid URL.") from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname or parts.username or parts.password:
        raise UnsafeURL("Give a host name, without a user name or password in the URL.")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeURL(f"The host {parts.hostname} cannot be found.") from error
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeURL(f"The host {parts.hostname} cannot be found.")
    if not allow_private() and not all(_is_public(a) for a in addresses):
        raise UnsafeURL("This URL points into a private network; use a public address.")
    return scheme, parts.hostname, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the address we pinned.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST *body* to *url*; never raises for network trouble (it is in ``error``)."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, address = check_url(url)
    except UnsafeURL as error:
        return Answer(None, elapsed(), str(error))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, address=address, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_ANSWER_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, elapsed(), f"{type(error).__name__}: {error}"[:300])
    finally:
        connection.close()
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return Answer(status, elapsed(), error)
