"""Reads for notifications, follows and digest subscriptions.

Every read of notifications starts from ``communities.permissions.notifications_visible_to``, so
a notice from a private community the member has left never shows again.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from communities import permissions as community_permissions
from communities.models import Community, Membership
from practice import permissions
from practice.models import DigestSubscription, Follow, Notification, Thread, ThreadTag

# The header shows "99+" beyond this; counting stops there so the query stays cheap.
UNREAD_CAP = 99


def notification_list(*, user) -> QuerySet[Notification]:
    """The member's visible notifications, newest first, with what each row shows."""
    return (
        community_permissions.notifications_visible_to(user)
        .select_related("community")
        .only(
            "pk",
            "kind",
            "text",
            "url",
            "created_at",
            "read_at",
            "community__name",
            "community__slug",
        )
        .order_by("-created_at", "-pk")
    )


def notification_for(*, user, notification_id: int) -> Notification | None:
    return community_permissions.notifications_visible_to(user).filter(pk=notification_id).first()


def unread_count(*, user) -> int:
    """How many visible notifications *user* has not read, counted up to UNREAD_CAP + 1."""
    unread = community_permissions.notifications_visible_to(user).filter(read_at__isnull=True)
    return unread.values("pk")[: UNREAD_CAP + 1].count()


def follows_community(*, user, community) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(
        user=user, target=Follow.Target.COMMUNITY, community=community
    ).exists()


def follows_tag(*, user, community, tag: ThreadTag) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(
        user=user, target=Follow.Target.TAG, community=community, tag=tag
    ).exists()


def community_tag(*, user, community, name: str) -> ThreadTag | None:
    """The tag called *name* if it is on a thread of *community* that *user* may see."""
    thread_ids = permissions.threads_visible_to(user, community).values("pk")
    return (
        ThreadTag.objects.filter(
            name=name,
            items__content_type=ContentType.objects.get_for_model(Thread),
            items__object_id__in=thread_ids,
        )
        .distinct()
        .first()
    )


def followed(*, user) -> list[Follow]:
    """The communities and tags *user* follows, in communities they may still read."""
    return list(
        Follow.objects.filter(user=user, target__in=[Follow.Target.COMMUNITY, Follow.Target.TAG])
        .filter(community_permissions.readable_communities_q(user, prefix="community__"))
        .select_related("community", "tag")
        .order_by("community__name", "target", "tag__name")
    )


def digest_communities(*, user) -> QuerySet[Community]:
    """Communities whose weekly digest *user* may choose: those they are an active member of."""
    return Community.objects.filter(
        memberships__user=user, memberships__state=Membership.State.ACTIVE
    ).order_by("name")


def digest_community_ids(*, user) -> set[int]:
    return set(DigestSubscription.objects.filter(user=user).values_list("community_id", flat=True))
