"""The header's unread count, kept in Django's cache between a member's requests.

Each member's count is stored with two tokens: the member's own, which ``forget_unread``
replaces when their notices change (``notify``, marking read, an edit in the admin) or their
standing changes (a membership or the account saved), and a site-wide one, which
``forget_all_unread`` replaces when what everyone may read changes (a community saved, notices
moved between communities). A stored count whose tokens are not the current ones is never
used, so the next page counts anew; a member's count is keyed by their id, so it never shows to
another. The tokens are replaced at once and again when the transaction commits, so a page
counted from the old rows during the change cannot keep its count. A notice deleted with its
content (in the admin) reaches no signal without slowing every cascade delete: the count's
short lifetime (``UNREAD_TTL``) bounds that case.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

UNREAD_TTL = 60  # seconds
_ALL = "notifications:unread-token:all"


def _token_key(user_id: int) -> str:
    return f"notifications:unread-token:{user_id}"


def _count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def _token(tokens: dict, key: str) -> str:
    token = tokens.get(key)
    if token is None:  # never set or evicted: start a fresh one (no older count can match it)
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key) or ""
    return token


def cached_unread_count(*, user_id: int, count) -> int:
    """The member's unread count from the cache, or ``count()`` (then stored) when stale."""
    keys = [_ALL, _token_key(user_id), _count_key(user_id)]
    found = cache.get_many(keys)
    tokens = (_token(found, _ALL), _token(found, _token_key(user_id)))
    stored = found.get(_count_key(user_id))
    if stored is not None and tuple(stored[:2]) == tokens and all(tokens):
        return stored[2]
    value = count()
    if all(tokens):
        cache.set(_count_key(user_id), (*tokens, value), timeout=UNREAD_TTL)
    return value


def _replace(keys: list[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def _replace_now_and_on_commit(keys: list[str]) -> None:
    if not keys:
        return
    _replace(keys)
    transaction.on_commit(lambda: _replace(keys))


def forget_unread(*, user_ids) -> None:
    """The unread counts of *user_ids* changed: their next page counts anew."""
    _replace_now_and_on_commit([_token_key(uid) for uid in {uid for uid in user_ids if uid}])


def forget_all_unread() -> None:
    """What members may read changed: every member's next page counts anew."""
    _replace_now_and_on_commit([_ALL])


# post_save receivers, connected in NotificationsConfig.ready().
def notification_saved(*, instance, **kwargs) -> None:
    forget_unread(user_ids=[instance.recipient_id])


def membership_saved(*, instance, **kwargs) -> None:
    forget_unread(user_ids=[instance.user_id])


def user_saved(*, instance, **kwargs) -> None:  # active, staff or superuser may have changed
    forget_unread(user_ids=[instance.pk])


def community_saved(**kwargs) -> None:  # its visibility may have changed
    forget_all_unread()
