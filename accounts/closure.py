"""Erasing a member's identity when they close their account: each app erases its part.

``register_account_eraser(erase)``: *erase(user, *, remove_posts, old_names)* removes or
rewrites what the app keeps about the person (their drafts, follows, settings, notices that
name them; their posts' text when they chose to remove them). *old_names* are the strings that
identified them (display name, username, email addresses), for rewriting text that quoted them.
Apps register from ``AppConfig.ready()``; ``accounts.services.account_erase`` runs them all in
the erasing transaction, then erases the account itself.

What stays: the user row, renamed to a stable pseudonym ("former-member-" and a keyed digest
of the id), inactive, without password, addresses or names; so the interaction log, the tie
rows and the metrics history keep the shape of the network and community-level figures do not
jump, while nothing names the person.
"""

import hashlib
import hmac
import re
from collections.abc import Callable

from django.conf import settings

FORMER_MEMBER_NAME = "A former member"
_erasers: list[Callable] = []
_name_sources: list[Callable] = []


def register_account_eraser(erase: Callable) -> None:
    if erase not in _erasers:
        _erasers.append(erase)


def register_identity_names(source: Callable) -> None:
    """*source(user)* returns names the person was shown by in the registering app."""
    if source not in _name_sources:
        _name_sources.append(source)


def closure_erasers() -> list[Callable]:
    return list(_erasers)


def identity_name_sources() -> list[Callable]:
    return list(_name_sources)


def former_member_username(user_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"former-member:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"former-member-{digest[:12]}"


def scrub(text: str, old_names, *, replacement: str = FORMER_MEMBER_NAME) -> str:
    """*text* with every one of *old_names*, as a whole word, replaced by "A former member" (or
    *replacement*), the longest first, so a full name goes before the first name in it."""
    for name in sorted((n for n in old_names if n and n in text), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", replacement, text)
    return text
