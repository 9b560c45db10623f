"""Practice test data, made through the real services."""

from communities.models import Membership
from practice.services import threads as thread_services
from tests.factories import UserFactory, make_member


def member_of(community, **kwargs):
    """A new active member of *community* (long-standing, so rate limits do not apply)."""
    from datetime import timedelta

    from django.utils import timezone

    membership = make_member(community, UserFactory(**kwargs))
    Membership.objects.filter(pk=membership.pk).update(
        joined_at=timezone.now() - timedelta(days=365)
    )
    return membership.user


def moderator_of(community, **kwargs):
    membership = make_member(community, UserFactory(**kwargs), role=Membership.Role.MODERATOR)
    return membership.user


def ask(community, author, title="How do you dress a sacral wound?", body="Any tips?", tags=()):
    return thread_services.thread_create(
        community=community, author=author, kind="question", title=title, body=body, tags=tags
    )


def discuss(community, author, title="Night shifts", body="How do you cope?", kind="discussion"):
    return thread_services.thread_create(
        community=community, author=author, kind=kind, title=title, body=body
    )


def answer(thread, author, body="Use a foam dressing.", reply_to=None):
    return thread_services.post_create(thread=thread, author=author, body=body, reply_to=reply_to)
