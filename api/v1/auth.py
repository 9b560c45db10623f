"""Who is calling: a personal access token (``Authorization: Bearer pra_…``), the site's own
session (with CSRF on unsafe methods), or nobody (reads only). The caller's scopes narrow what
the member may do; the content apps' permissions decide the rest."""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AuthRateThrottle

from api import services
from api.models import AccessToken

ALL_SCOPES = frozenset(AccessToken.Scope.values)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class InvalidToken(Exception):
    """A bearer token was sent but is unknown, revoked or expired: 401, never anonymous."""


class CsrfFailed(Exception):
    """A session call with an unsafe method lacked a valid CSRF token: 403."""


@dataclass(frozen=True)
class Caller:
    user: object
    token: AccessToken | None = None
    scopes: frozenset = field(default_factory=frozenset)
    ident: str = ""

    def __str__(self) -> str:
        # The rate limit's key (ninja hashes it): one bucket per token, per session member,
        # or per address for anonymous calls.
        return self.ident


class TokenAuth(HttpBearer):
    """A personal access token, created in the member's settings (Settings → Access tokens)."""

    def authenticate(self, request: HttpRequest, token: str):
        found = services.token_authenticate(token.strip())
        if found is None:
            raise InvalidToken
        request.user = found.user
        return Caller(
            user=found.user,
            token=found,
            scopes=found.scope_set,
            ident=f"token:{found.pk}",
        )


def _csrf_ok(request: HttpRequest) -> bool:
    middleware = CsrfViewMiddleware(lambda r: None)
    request.csrf_processing_done = False
    middleware.process_request(request)
    return middleware.process_view(request, lambda r: None, (), {}) is None


class SessionAuth(APIKeyCookie):
    """The site's session cookie, for the site's own JavaScript; unsafe methods need the
    ``X-CSRFToken`` header as on every form."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=False)

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and not _csrf_ok(request):
            raise CsrfFailed
        return Caller(user=user, scopes=ALL_SCOPES, ident=f"user:{user.pk}")

    def authenticate(self, request, key):  # pragma: no cover - __call__ decides
        return None


def anonymous(request: HttpRequest):
    """Nobody signed in: reads what the public web pages show."""
    return Caller(
        user=AnonymousUser(),
        scopes=frozenset({AccessToken.Scope.READ}),
        ident=f"anon:{request.META.get('REMOTE_ADDR', '')}",
    )


AUTH = [TokenAuth(), SessionAuth(), anonymous]


class CallerThrottle(AuthRateThrottle):
    """ninja's sliding-window throttle (Django's cache, ``Retry-After`` on 429), one bucket per
    caller; the rate is ``PRACTICA_API_RATE`` (read per call, so tests and operators can change
    it)."""

    scope = "api"

    def __init__(self):
        super().__init__(rate=settings.PRACTICA_API_RATE)

    def allow_request(self, request):
        rate = settings.PRACTICA_API_RATE
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)
