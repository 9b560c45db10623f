"""Tell the apps above that a thread or a post changed (written, edited, hidden, moved, voted).

``post_votes_changed`` is apart: a helpful vote changes only counters, which the search index does
not hold (knowledge's expert scores do).

Services call ``thread_changed`` and ``post_changed`` inside the transaction that makes the
change, and the listeners (search's index) run right there, in that transaction. Apps register
them from ``ready()``.
"""

from collections.abc import Callable

from communities.changes import change_listeners_are_held

ChangedListener = Callable[[int], None]
BatchListener = Callable[[list[int]], None]
_thread_listeners: list[ChangedListener] = []
# A listener's version for many threads at once (bulk imports), when it has one.
_thread_batch_listeners: dict[ChangedListener, BatchListener] = {}
_post_listeners: list[ChangedListener] = []
_post_votes_listeners: list[ChangedListener] = []


def register_thread_changed_listener(
    listener: ChangedListener, *, batch: BatchListener | None = None
) -> None:
    """Call *listener* with the thread's id whenever a thread changes (*batch*, when given,
    with the ids of many threads that changed together)."""
    if listener not in _thread_listeners:
        _thread_listeners.append(listener)
    if batch is not None:
        _thread_batch_listeners[listener] = batch


def register_post_changed_listener(listener: ChangedListener) -> None:
    """Call *listener* with the post's id whenever a post changes."""
    if listener not in _post_listeners:
        _post_listeners.append(listener)


def thread_changed(thread_id: int) -> None:
    """Tell every listener that the thread *thread_id* changed."""
    if change_listeners_are_held():
        return
    for listener in _thread_listeners:
        listener(thread_id)


def threads_changed(thread_ids: list[int]) -> None:
    """Tell every listener that the threads *thread_ids* changed (a batch written at once)."""
    if change_listeners_are_held() or not thread_ids:
        return
    for listener in _thread_listeners:
        batch = _thread_batch_listeners.get(listener)
        if batch is not None:
            batch(list(thread_ids))
        else:
            for thread_id in thread_ids:
                listener(thread_id)


def post_changed(post_id: int) -> None:
    """Tell every listener that the post *post_id* changed."""
    if change_listeners_are_held():
        return
    for listener in _post_listeners:
        listener(post_id)


def register_post_votes_changed_listener(listener: ChangedListener) -> None:
    """Call *listener* with the post's id whenever its helpful votes change."""
    if listener not in _post_votes_listeners:
        _post_votes_listeners.append(listener)


def post_votes_changed(post_id: int) -> None:
    """Tell every listener that the helpful votes of post *post_id* changed."""
    if change_listeners_are_held():
        return
    for listener in _post_votes_listeners:
        listener(post_id)
