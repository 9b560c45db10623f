"""Who hears of join requests and membership decisions.

Communities sits below the notifications app, so it only announces these events; the
notifications app registers the listeners (the emails and the in-app notice) from its
``AppConfig.ready()``. Listeners run inside the caller's transaction.
"""

from collections.abc import Callable

from communities.models import Membership

_join_requested: list[Callable[..., None]] = []
_decided: list[Callable[..., None]] = []


def register_join_requested_listener(listener: Callable[..., None]) -> None:
    """*listener* is called with keyword argument ``membership`` (a pending request)."""
    if listener not in _join_requested:
        _join_requested.append(listener)


def register_membership_decided_listener(listener: Callable[..., None]) -> None:
    """*listener* is called with keyword arguments ``membership``, ``approved`` and ``message``."""
    if listener not in _decided:
        _decided.append(listener)


def join_requested(*, membership: Membership) -> None:
    for listener in _join_requested:
        listener(membership=membership)


def membership_decided(*, membership: Membership, approved: bool, message: str) -> None:
    for listener in _decided:
        listener(membership=membership, approved=approved, message=message)
