"""Reads for notifications and digest subscriptions.

Every read of notifications starts from ``permissions.notifications_visible_to``, so a notice
from a private community the member has left never shows again.
"""

from django.db.models import QuerySet

from communities.models import Community, Membership
from notifications import permissions
from notifications.models import DigestSubscription, Notification

# The header shows "99+" beyond this; counting stops there so the query stays cheap.
UNREAD_CAP = 99


def notification_list(*, user) -> QuerySet[Notification]:
    """The member's visible notifications, newest first, with what each row shows."""
    return (
        permissions.notifications_visible_to(user)
        # The actor's face and name beside each row (communities.avatars), in the same query.
        .select_related("community", "actor__profile")
        .only(
            "pk",
            "kind",
            "text",
            "url",
            "created_at",
            "read_at",
            "community__name",
            "community__slug",
            "actor__id",
            "actor__username",
            "actor__profile__display_name",
            "actor__profile__avatar",
        )
        .order_by("-created_at", "-pk")
    )


def notification_for(*, user, notification_id: int) -> Notification | None:
    return permissions.notifications_visible_to(user).filter(pk=notification_id).first()


def unread_count(*, user) -> int:
    """How many visible notifications *user* has not read, counted up to UNREAD_CAP + 1."""
    unread = permissions.notifications_visible_to(user).filter(read_at__isnull=True)
    return unread.values("pk")[: UNREAD_CAP + 1].count()


def digest_communities(*, user) -> QuerySet[Community]:
    """Communities whose weekly digest *user* may choose: those they are an active member of."""
    return Community.objects.filter(
        memberships__user=user, memberships__state=Membership.State.ACTIVE
    ).order_by("name")


def digest_community_ids(*, user) -> set[int]:
    return set(DigestSubscription.objects.filter(user=user).values_list("community_id", flat=True))
