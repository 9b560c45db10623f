"""The thread page's posts: each post's viewer-independent HTML, rendered once and cached.

A post's fragment is what every reader sees the same: its box, the accepted mark, the "in reply
to" line, the body, the author and dates, the "worked for" counts. Its cache key is a digest of
everything the fragment shows (the body's HTML, names, flags, counts, dates, the addresses it
links to, the fragment template itself), taken from the rows the selector loaded anyway: an
edit, a hide or restore, an accept, a report, a rename changes the key, so no service has to
remember to invalidate anything and a stale fragment is never read. What differs per reader
(votes, buttons, "you said this worked", the moderators' hidden note) is rendered around the
fragment from the page's capabilities; how long ago a post was written is filled in per request.

The cache is Django's (Redis in production, process memory in the embedded default and in
tests): one ``get_many`` per page, one ``set_many`` for the posts it missed.
"""

import hashlib
from functools import cache as memoize

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

FRAGMENT_TEMPLATE = "practice/threads/_post_fragment.html"
# The fragment template marks where the reader's own parts go with this character, which no
# stored text contains (PostgreSQL text cannot hold it; the input middleware rejects it).
SEPARATOR = "\x00"
PARTS = 4
# Keys change with their content, so old entries are never read again; they only need to leave
# the cache eventually. A day keeps the posts of active threads warm.
TIMEOUT = 24 * 60 * 60


@memoize
def _template_digest() -> str:
    """A digest of the fragment template's source: a changed template is a new key space."""
    source = get_template(FRAGMENT_TEMPLATE).template.source
    return hashlib.blake2b(source.encode(), digest_size=6).hexdigest()


def _fields(item) -> tuple:
    """Everything the fragment of *item* shows, in a fixed order."""
    post = item.post
    return (
        item.pid,
        item.css_class,
        item.is_accepted,
        item.verb,
        item.author_name,
        post.author.username,
        post.created_at.isoformat(),
        post.edited_at.isoformat() if post.edited_at else "",
        post.reply_to_id or "",
        item.reply_to_name,
        item.reply_to_here,
        post.worked_count,
        post.did_not_work_count,
        post.body_html,
    )


def fragment_key(item, *, prefix: str) -> str:
    digest = hashlib.blake2b(prefix.encode(), digest_size=16)
    for value in _fields(item):
        digest.update(str(value).encode())
        digest.update(b"\x1f")
    return f"practice:post:{item.pid}:{digest.hexdigest()}"


def fill_post_fragments(items, *, post_base: str, profile_base: str) -> None:
    """Give every item its fragment (``item.parts``) and its age, from the cache or rendered."""
    if not items:
        return
    # What every fragment of the page depends on besides the post: the addresses it links to,
    # the template, the time zone and language its dates are written in.
    prefix = "\x1f".join(
        (
            _template_digest(),
            post_base,
            profile_base,
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
        )
    )
    keys = {fragment_key(item, prefix=prefix): item for item in items}
    found = cache.get_many(list(keys))
    missing = {}
    template = None
    for key, item in keys.items():
        parts = found.get(key)
        if not (isinstance(parts, tuple) and len(parts) == PARTS):
            template = template or get_template(FRAGMENT_TEMPLATE)
            html = template.render(
                {
                    "item": item,
                    "p": item.post,
                    "pid": item.pid,
                    "post_base": post_base,
                    "profile_base": profile_base,
                    "sep": SEPARATOR,
                }
            )
            parts = tuple(html.split(SEPARATOR))
            if len(parts) != PARTS:
                raise ValueError(f"{FRAGMENT_TEMPLATE} must have {PARTS} parts")
            missing[key] = parts
        item.parts = tuple(SafeString(part) for part in parts)
    if missing:
        cache.set_many(missing, TIMEOUT)
    now = timezone.now()
    for item in items:
        item.age = timesince(item.post.created_at, now)
