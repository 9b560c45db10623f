"""Reads for the token settings page."""

from django.db.models import QuerySet

from api import permissions
from api.models import AccessToken
from communities.models import Membership


def token_list(*, user) -> QuerySet[AccessToken]:
    """*user*'s tokens, live ones first, newest first."""
    return permissions.member_tokens(user).order_by("revoked_at", "-created_at", "-pk")


def member_memberships(*, user) -> QuerySet[Membership]:
    """*user*'s own memberships that still mean something (active, pending, banned): one's own
    rows, which the member may always see (a pending or banned row names only the community,
    as the directory does)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    State = Membership.State
    return Membership.objects.filter(
        user=user, state__in=[State.ACTIVE, State.PENDING, State.BANNED]
    )
