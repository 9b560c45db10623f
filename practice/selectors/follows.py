"""Reads for follows: the communities and tags a member follows."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q

from communities import permissions as community_permissions
from practice import permissions
from practice.models import Follow, Thread, ThreadTag


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


@dataclass(frozen=True)
class TagFollowBox:
    """What the tag's thread list says about following it: who follows, and the reader's button."""

    tag: ThreadTag
    followers: int
    is_following: bool
    can_follow: bool


def tag_follow_box(*, user, community, name: str) -> TagFollowBox | None:
    """The follow box of the tag called *name* in *community* (two queries), or None when no
    thread *user* may see carries it."""
    tag = community_tag(user=user, community=community, name=name)
    if tag is None:
        return None
    mine = Q(user=user) if user.is_authenticated else Q(pk__in=[])
    follows = Follow.objects.filter(target=Follow.Target.TAG, community=community, tag=tag)
    counts = follows.aggregate(followers=Count("pk"), mine=Count("pk", filter=mine))
    return TagFollowBox(
        tag=tag,
        followers=counts["followers"],
        is_following=bool(counts["mine"]),
        can_follow=community_permissions.can_follow(user, community),
    )


def followed(*, user) -> list[Follow]:
    """The communities and tags *user* follows, in communities they may still read."""
    return list(
        Follow.objects.filter(user=user, target__in=[Follow.Target.COMMUNITY, Follow.Target.TAG])
        .filter(community_permissions.readable_communities_q(user, prefix="community__"))
        .select_related("community", "tag")
        .order_by("community__name", "target", "tag__name")
    )
