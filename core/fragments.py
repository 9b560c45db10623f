"""What the cached page fragments (a thread's posts, the thread list's rows) share: keys that
change with what a fragment shows, and the "how long ago" text filled in per request.

A fragment's key is a digest of the values it shows plus what every fragment of the page
depends on (the template's own source, the addresses it links to, the time zone and language),
so no write has to invalidate anything and a stale fragment is never read.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache as memoize
from functools import lru_cache

from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.timesince import timesince


@memoize
def template_digest(template_name: str) -> str:
    """A digest of a template's source: a changed template is a new key space."""
    source = get_template(template_name).template.source
    return hashlib.blake2b(source.encode(), digest_size=6).hexdigest()


def page_key_prefix(template_name: str, *addresses: str) -> str:
    """What every fragment of one page depends on besides its own values."""
    return "\x1f".join(
        (
            template_digest(template_name),
            *addresses,
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
        )
    )


def content_key(namespace: str, pk, values, *, prefix: str) -> str:
    """The key of the fragment of object *pk* that shows *values*."""
    # repr() writes each value unambiguously (quotes and escapes in titles and names).
    digest = hashlib.blake2b(f"{prefix}\x1f{tuple(values)!r}".encode(), digest_size=16)
    return f"{namespace}:{pk}:{digest.hexdigest()}"


# Under 27 days, timesince() counts no months or years (the shortest month, less a daylight-saving
# hour, is longer), so its text depends on the whole minutes between the two times alone.
_CALENDAR_FREE = timedelta(days=27)
_ORIGIN = datetime(2001, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4096)
def _age_of(minutes: int, language: str) -> str:
    return timesince(_ORIGIN, _ORIGIN + timedelta(minutes=minutes))


def age(then: datetime, now: datetime, *, language: str | None = None) -> str:
    """The text of ``{{ then|timesince }}`` at *now* ("3 hours, 5 minutes"), worked out once per
    whole minute for recent times (a page shows dozens; the translated words are costly).
    *language*: the active language when the caller already knows it. Needs no escaping."""
    delta = now - then
    if delta < _CALENDAR_FREE:
        minutes = max(0, delta // timedelta(minutes=1))
        if language is None:
            language = translation.get_language() or ""
        return _age_of(minutes, language)
    return timesince(then, now)
