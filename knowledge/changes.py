"""Tell the apps above that a repertoire item changed (proposed, edited, curated, attached to).

Services call ``item_changed`` inside the transaction that makes the change, and the listeners
(search's index) run right there, in that transaction. Apps register them from ``ready()``.
"""

from collections.abc import Callable

from communities.changes import change_listeners_are_held

ItemChangedListener = Callable[[int], None]
_item_listeners: list[ItemChangedListener] = []


def register_item_changed_listener(listener: ItemChangedListener) -> None:
    """Call *listener* with the item's id whenever an item changes."""
    if listener not in _item_listeners:
        _item_listeners.append(listener)


def item_changed(item_id: int) -> None:
    """Tell every listener that the item *item_id* changed."""
    if change_listeners_are_held():
        return
    for listener in _item_listeners:
        listener(item_id)
