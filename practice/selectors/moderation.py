"""Reads of the moderation queue and the audit log; callers have passed the gatekeeper."""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Count, Max, Q, QuerySet

from communities import permissions
from communities.models import Community
from practice.models import Flag, ModerationAction, Post, Thread

HIDDEN_LIMIT = 50


@dataclass
class FlagGroup:
    """The open flags about one piece of content (a post, or a thread as a whole)."""

    thread: Thread
    post: Post | None
    flag_count: int
    flags: list[Flag] = field(default_factory=list)

    @property
    def target_post(self) -> Post | None:
        """The post a "hide" acts on: the flagged post, or the thread's opening post."""
        return self.post if self.post is not None else self.thread.opening_post

    @property
    def is_hidden(self) -> bool:
        target = self.target_post
        return self.thread.is_hidden or (target is not None and target.is_hidden)

    @property
    def reasons(self) -> list[str]:
        return sorted({flag.get_reason_display() for flag in self.flags})


def open_flag_groups(*, community: Community) -> QuerySet:
    """One row per flagged piece of content (``thread_id``, ``post_id``, counts), most flagged
    first; paginate it, then pass the page to :func:`flag_groups_for`."""
    return (
        Flag.objects.filter(community=community, resolved_at__isnull=True)
        .values("thread_id", "post_id")
        .annotate(flag_count=Count("pk"), last_flagged=Max("created_at"))
        .order_by("-flag_count", "-last_flagged", "thread_id", "post_id")
    )


def flag_groups_for(*, community: Community, rows) -> list[FlagGroup]:
    """Load the flags, reporters and content of a page of :func:`open_flag_groups` in one query."""
    rows = list(rows)
    if not rows:
        return []
    about = reduce(
        or_,
        (
            Q(thread_id=row["thread_id"], post_id=row["post_id"])
            if row["post_id"] is not None
            else Q(thread_id=row["thread_id"], post__isnull=True)
            for row in rows
        ),
    )
    flags = (
        Flag.objects.filter(community=community, resolved_at__isnull=True)
        .filter(about)
        .select_related(
            # Profiles: the queue shows display names (communities.models.display_name).
            "reporter__profile",
            "thread__author__profile",
            "thread__opening_post",
            "post__author__profile",
        )
        .order_by("created_at", "pk")
    )
    groups = {
        (row["thread_id"], row["post_id"]): FlagGroup(
            thread=None, post=None, flag_count=row["flag_count"]
        )
        for row in rows
    }
    for flag in flags:
        group = groups[(flag.thread_id, flag.post_id)]
        group.thread, group.post = flag.thread, flag.post
        group.flags.append(flag)
    return [group for group in groups.values() if group.thread is not None]


def hidden_posts(*, community: Community, limit: int = HIDDEN_LIMIT) -> list[Post]:
    """The most recently hidden posts (an opening post stands for its whole thread)."""
    return list(
        Post.objects.filter(community=community, is_hidden=True)
        .select_related("thread", "author__profile", "hidden_by__profile")
        .order_by("-hidden_at", "-pk")[:limit]
    )


def hidden_post_count(*, community: Community) -> int:
    return Post.objects.filter(community=community, is_hidden=True).count()


def move_targets(*, user) -> list[Community]:
    """Communities *user* may move threads into (those they moderate)."""
    return list(permissions.moderated_communities(user).order_by("name"))


def audit_log(*, community: Community, action: str = "") -> QuerySet[ModerationAction]:
    """The community's moderation log, newest first, optionally one kind of action only."""
    qs = ModerationAction.objects.filter(community=community).select_related(
        "moderator__profile", "thread__community", "post"
    )
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-created_at", "-pk")
