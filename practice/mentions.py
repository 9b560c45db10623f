"""@mentions: find them in rendered HTML and link them to profiles."""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape

User = get_user_model()

MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_.+-]{1,150})")
_TAG = re.compile(r"(<[^>]+>)")
# Text inside these elements is never a mention.
_SKIP = {"a", "code", "pre"}


def _text_segments(html: str):
    """Yield (segment, is_text_outside_skipped_elements) over *html*."""
    depth = 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _SKIP:
                if part.startswith("</"):
                    depth = max(0, depth - 1)
                elif not part.endswith("/>"):
                    depth += 1
            yield part, False
        else:
            yield part, depth == 0


def _clean(name: str) -> str:
    return name.rstrip(".-+")


def link_mentions(html: str) -> tuple[str, list]:
    """Return *html* with @username linked to existing active users, and those users."""
    if "@" not in html:
        return html, []  # no mention without an "@" (most posts): nothing to scan
    candidates = {
        _clean(m.group(1))
        for segment, is_text in _text_segments(html)
        if is_text
        for m in MENTION.finditer(segment)
    }
    if not candidates:
        return html, []
    users = {
        u.username.lower(): u for u in User.objects.filter(is_active=True, username__in=candidates)
    }
    if not users:
        return html, []

    def replace(match):
        name = _clean(match.group(1))
        user = users.get(name.lower())
        if user is None:
            return match.group(0)
        url = reverse("communities:profile", args=[user.username])
        trailing = match.group(1)[len(name) :]
        return f'<a class="mention" href="{escape(url)}">@{escape(user.username)}</a>{trailing}'

    out = [
        MENTION.sub(replace, segment) if is_text else segment
        for segment, is_text in _text_segments(html)
    ]
    return "".join(out), list(users.values())
