"""Who may read which notices and opt in to which digest.

Built on the roles, visibility and membership predicates of ``communities.permissions``. Each
``require_*`` check raises the refusal of its ``can_*`` twin (``can_subscribe_digest`` lives in
``communities.permissions``: it is a membership predicate).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from communities.models import Community
from communities.permissions import can_subscribe_digest, is_admin, readable_communities_q
from notifications.models import Notification


def notifications_visible_to(user):
    """A member's notifications, only from communities they may (still) read."""
    if not user.is_authenticated:
        return Notification.objects.none()
    # A decision on one's own membership names only the community (which the directory lists
    # anyway), so a declined applicant of a private community still sees it.
    qs = Notification.objects.filter(recipient=user)
    if is_admin(user):  # admins read everything (and ``Q() | q`` would be just ``q``)
        return qs
    return qs.filter(
        readable_communities_q(user, prefix="community__") | Q(kind=Notification.Kind.MEMBERSHIP)
    )


def require_can_subscribe_digest(*, user, community: Community) -> None:
    if not can_subscribe_digest(user, community):
        raise PermissionDenied("Only members get this community's weekly digest.")
