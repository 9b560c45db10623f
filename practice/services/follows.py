"""Following threads, tags and communities."""

from datetime import datetime

from communities import permissions
from practice.models import Follow, Thread, ThreadTag

Target = Follow.Target


def _follow(at: datetime | None, **lookup) -> None:
    """Write the follow unless it is there: one INSERT, which the unique constraints turn into
    nothing for a follow that exists (following again, a double click, a concurrent request)."""
    defaults = {"created_at": at} if at is not None else {}
    Follow.objects.bulk_create([Follow(**lookup, **defaults)], ignore_conflicts=True)


def thread_follow(*, user, thread: Thread, at: datetime | None = None) -> None:
    """Follow *thread* (from *at*, default now); following it again changes nothing."""
    _follow(at, user=user, target=Target.THREAD, community=thread.community, thread=thread)


def thread_unfollow(*, user, thread: Thread) -> None:
    Follow.objects.filter(user=user, target=Target.THREAD, thread=thread).delete()


def tag_follow(*, user, community, tag: ThreadTag, at: datetime | None = None) -> None:
    _follow(at, user=user, target=Target.TAG, community=community, tag=tag)


def tag_unfollow(*, user, community, tag: ThreadTag) -> None:
    Follow.objects.filter(user=user, target=Target.TAG, community=community, tag=tag).delete()


def community_follow(*, user, community, at: datetime | None = None) -> None:
    _follow(at, user=user, target=Target.COMMUNITY, community=community)


def community_unfollow(*, user, community) -> None:
    Follow.objects.filter(user=user, target=Target.COMMUNITY, community=community).delete()


def thread_follower_ids(*, thread: Thread) -> list[int]:
    """Ids of every user following *thread*, whether they may still read it or not."""
    return list(
        Follow.objects.filter(target=Target.THREAD, thread=thread).values_list("user_id", flat=True)
    )


def thread_followers(*, thread: Thread, follower_ids: list[int] | None = None) -> list[int]:
    """Ids of users following *thread* who may still read it (*follower_ids*: the followers,
    when the caller has read them already)."""
    if follower_ids is None:
        follower_ids = thread_follower_ids(thread=thread)
    return permissions.users_who_can_view(thread.community, follower_ids)


def new_thread_followers(*, thread: Thread) -> list[int]:
    """Ids of users following the thread's community or one of its tags."""
    tag_ids = list(thread.tags.values_list("pk", flat=True))
    ids = set(
        Follow.objects.filter(community=thread.community, target=Target.COMMUNITY).values_list(
            "user_id", flat=True
        )
    )
    if tag_ids:
        ids |= set(
            Follow.objects.filter(
                community=thread.community, target=Target.TAG, tag_id__in=tag_ids
            ).values_list("user_id", flat=True)
        )
    return permissions.users_who_can_view(thread.community, sorted(ids))
