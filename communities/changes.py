"""Tell the apps above that a member changed: their profile, expertise or memberships.

Services call ``member_changed`` inside the transaction that makes the change, and the listeners
(search's index) run right there, in that transaction. Apps register them from ``ready()``.

``change_listeners_held()`` silences these listeners and those of ``practice.changes`` and
``knowledge.changes`` for a bulk job that rebuilds what listens once it is done.
"""

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

MemberChangedListener = Callable[[int], None]
_member_listeners: list[MemberChangedListener] = []
_held: ContextVar[bool] = ContextVar("change_listeners_held", default=False)


@contextlib.contextmanager
def change_listeners_held() -> Iterator[None]:
    """Call no change listener (member, thread, post, item) inside.

    For backfills that rebuild what listens afterwards: ``seed_demo`` writes a year of history
    and then rebuilds the whole search index, so indexing each write on the way is wasted.
    """
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


def change_listeners_are_held() -> bool:
    """Whether the caller is inside ``change_listeners_held()``."""
    return _held.get()


def register_member_changed_listener(listener: MemberChangedListener) -> None:
    """Call *listener* with the user's id whenever a member changes."""
    if listener not in _member_listeners:
        _member_listeners.append(listener)


def member_changed(user_id: int) -> None:
    """Tell every listener that the member *user_id* changed."""
    if _held.get():
        return
    for listener in _member_listeners:
        listener(user_id)
