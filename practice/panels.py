"""What practice adds to the pages of the apps below it."""

from django.urls import reverse

from communities import permissions as community_permissions
from practice.selectors.follows import follows_community


def community_follow_panel(*, user, community) -> dict | None:
    """The community home's "Follow" panel, for readers who may follow the community."""
    if not community_permissions.can_follow(user, community):
        return None
    return {"follows_community": follows_community(user=user, community=community)}


def welcome_how_to_ask(*, user, community) -> dict | None:
    """The welcome's "How to ask" part: where to ask and what makes a question answerable."""
    return {
        "can_post": community_permissions.can_post(user, community),
        "new_thread_url": reverse("practice:thread_new", args=[community.slug]),
        "unanswered_url": reverse("practice:unanswered", args=[community.slug]),
    }
