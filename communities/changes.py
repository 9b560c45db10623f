"""Tell the apps above that a member changed: their profile, expertise or memberships.

Services call ``member_changed`` inside the transaction that makes the change, and the listeners
(search's index) run right there, in that transaction. Apps register them from ``ready()``.
"""

from collections.abc import Callable

MemberChangedListener = Callable[[int], None]
_member_listeners: list[MemberChangedListener] = []


def register_member_changed_listener(listener: MemberChangedListener) -> None:
    """Call *listener* with the user's id whenever a member changes."""
    if listener not in _member_listeners:
        _member_listeners.append(listener)


def member_changed(user_id: int) -> None:
    """Tell every listener that the member *user_id* changed."""
    for listener in _member_listeners:
        listener(user_id)
