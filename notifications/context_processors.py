"""Template context for every page: the unread notifications badge in the header."""

from functools import cached_property

from notifications.selectors import UNREAD_CAP, unread_count


class UnreadNotifications:
    """Counted on first use only (one query), so pages without the header pay nothing."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def count(self) -> int:
        return unread_count(user=self._user)

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP}+" if self.count > UNREAD_CAP else str(self.count)


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": UnreadNotifications(user)}
