"""Limits for new members, checked in the services so no path goes around them."""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from communities import permissions
from practice.models import Post, Thread


class RateLimited(ValidationError):
    """Raised when a new member posts faster than the community allows."""

    def __init__(self, message, code="rate_limited", params=None):
        super().__init__(message, code=code, params=params)


_suspended: ContextVar[bool] = ContextVar("rate_limits_suspended", default=False)


@contextlib.contextmanager
def rate_limits_suspended() -> Iterator[None]:
    """Check no rate limit inside: for importers writing an archive's past, where a newcomer's
    busy first hour happened years ago and is not spam arriving now."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def _is_new_member(user, community, now: datetime) -> bool:
    """Members who joined within PRACTICA_NEW_MEMBER_DAYS; moderators and admins never are."""
    if _suspended.get() or permissions.can_moderate(user, community):
        return False
    membership = permissions.membership_of(user, community)
    joined = membership.joined_at if membership else None
    window = timedelta(days=settings.PRACTICA_NEW_MEMBER_DAYS)
    return joined is None or joined > now - window


def check_thread_rate(*, user, community, at: datetime | None = None) -> None:
    """*at*: the moment of the new thread (now)."""
    now = at or timezone.now()
    if not _is_new_member(user, community, now):
        return
    limit = settings.PRACTICA_NEW_MEMBER_THREADS_PER_HOUR
    since = now - timedelta(hours=1)
    recent = Thread.objects.filter(community=community, author=user, created_at__gte=since)
    if recent.count() >= limit:
        raise RateLimited(
            f"New members can start {limit} thread{'s' if limit != 1 else ''} an hour "
            f"during their first {settings.PRACTICA_NEW_MEMBER_DAYS} days. Please wait a "
            "little before starting another; your text is still in the form."
        )


def check_post_rate(*, user, community, at: datetime | None = None) -> None:
    """*at*: the moment of the new post (now)."""
    now = at or timezone.now()
    if not _is_new_member(user, community, now):
        return
    limit = settings.PRACTICA_NEW_MEMBER_POSTS_PER_HOUR
    since = now - timedelta(hours=1)
    recent = Post.objects.filter(
        community=community, author=user, is_opening=False, created_at__gte=since
    )
    if recent.count() >= limit:
        raise RateLimited(
            f"New members can post {limit} answer{'s' if limit != 1 else ''} or "
            f"repl{'ies' if limit != 1 else 'y'} an hour during their first "
            f"{settings.PRACTICA_NEW_MEMBER_DAYS} days. Please wait a little; "
            "your text is still in the form."
        )
