"""Keep the search index in step with the content (implemented by the search work)."""


def thread_changed(thread_id: int) -> None:
    """Re-index a thread (and its opening post); drop it from the index if hidden or gone."""


def post_changed(post_id: int) -> None:
    """Re-index a post; drop it from the index if hidden or gone."""


def item_changed(item_id: int) -> None:
    """Re-index a repertoire item; only published items are in the index."""


def member_changed(user_id: int) -> None:
    """Re-index a member's expertise in every community they belong to."""
