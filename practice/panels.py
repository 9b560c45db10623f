"""What practice adds to the pages of the apps below it."""

from communities import permissions as community_permissions
from practice.selectors.follows import follows_community


def community_follow_panel(*, user, community) -> dict | None:
    """The community home's "Follow" panel, for readers who may follow the community."""
    if not community_permissions.can_follow(user, community):
        return None
    return {"follows_community": follows_community(user=user, community=community)}
