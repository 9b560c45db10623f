"""Practice's activity signals for communities' lists (registered in ``communities.activity``).

Each is a correlated subquery on the list's own query, so "My communities" and the directory run
the same number of queries for one community or a hundred. The indexes they use: threads'
(community, is_hidden, -created_at) and (community, is_hidden, -last_activity_at), posts'
(community, created_at).
"""

from datetime import datetime

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from practice.models import Post, Thread


def _count(qs: QuerySet) -> Subquery:
    """A scalar subquery counting *qs*'s rows (0 when there are none)."""
    counted = qs.order_by().values("community_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def since_last_visit(memberships: QuerySet) -> QuerySet:
    """Add ``new_threads`` and ``new_posts`` (answers and replies) written by others since the
    member's last visit (since joining, before the first)."""
    memberships = memberships.annotate(
        seen_from=Coalesce("last_seen_at", "joined_at", "created_at")
    )
    threads = Thread.objects.filter(
        community_id=OuterRef("community_id"),
        is_hidden=False,
        created_at__gt=OuterRef("seen_from"),
    ).exclude(author_id=OuterRef("user_id"))
    posts = Post.objects.filter(
        community_id=OuterRef("community_id"),
        created_at__gt=OuterRef("seen_from"),
        is_hidden=False,
        is_opening=False,
        thread__is_hidden=False,
    ).exclude(author_id=OuterRef("user_id"))
    return memberships.annotate(new_threads=_count(threads), new_posts=_count(posts))


def recent_activity(communities: QuerySet, *, since: datetime, readable: Q) -> QuerySet:
    """Add ``recent_posts`` (visible posts since *since*) and ``last_activity_at`` (the latest
    visible thread's activity), None for communities outside *readable*."""
    posts = Post.objects.filter(
        community_id=OuterRef("pk"), created_at__gte=since, is_hidden=False, thread__is_hidden=False
    )
    latest = (
        Thread.objects.filter(community_id=OuterRef("pk"), is_hidden=False)
        .order_by("-last_activity_at")
        .values("last_activity_at")[:1]
    )
    recent = _count(posts)
    last = Subquery(latest, output_field=DateTimeField())
    if readable:  # Q() means the viewer reads everything (an admin)
        recent = Case(When(readable, then=recent), default=None, output_field=IntegerField())
        last = Case(When(readable, then=last), default=None, output_field=DateTimeField())
    return communities.annotate(recent_posts=recent, last_activity_at=last)
