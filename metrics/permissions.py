"""Who may see what on the metrics pages, built on ``communities.permissions``."""

from django.core.exceptions import PermissionDenied

from communities.models import Community
from communities.permissions import (
    access_community_content,
    can_moderate,
    can_view_content,
    is_active_member,
)

# --- dashboards ----------------------------------------------------------------------------------
# What members see and what only moderators see (README, "Dashboards: what members see and what
# moderators see"). The community dashboard shows aggregates to everyone who may read the
# community. The network drawing names people (on focus, tap or hover, and in the list of people
# beside it) only for the community's own members, moderators and admins: who answers whom is
# visible on the threads anyway. Lists that rank or pick out named individuals (brokers by
# name, the network table by centrality, drifting away, rising, questions at risk, the members'
# table) are moderators' tools: a member is never shown in a ranking to their peers. Exports and
# "recompute now" are moderators' too. "My network" is for the signed-in active member.


def can_view_dashboard(user, community: Community) -> bool:
    """Aggregated participation and network figures are community content."""
    return can_view_content(user, community)


def can_see_metrics_names(user, community: Community) -> bool:
    """Names on the network drawing and broker list: members, moderators and admins only."""
    return can_moderate(user, community) or is_active_member(user, community)


def can_see_named_lists(user, community: Community) -> bool:
    """Rankings and lists of named individuals (brokers by name, the network table by
    centrality, drifting away, at risk): moderators and admins only."""
    return can_moderate(user, community)


def can_view_member_metrics(user, community: Community) -> bool:
    """Member-level detail (levels table, drifting away, at-risk questions): moderators."""
    return can_moderate(user, community)


def can_export_metrics(user, community: Community) -> bool:
    return can_moderate(user, community)


def can_request_metrics(user, community: Community) -> bool:
    """Ask for a recompute now (it is coalesced with any pending one)."""
    return can_moderate(user, community)


def can_view_my_network(user, community: Community) -> bool:
    return is_active_member(user, community)


def access_dashboard(*, user, slug: str) -> Community:
    return access_community_content(user=user, slug=slug)


def access_member_metrics(*, user, slug: str) -> Community:
    """Moderator view and exports: 404 when the community is hidden, 403 for non-moderators."""
    community = access_community_content(user=user, slug=slug)
    if not can_view_member_metrics(user, community):
        raise PermissionDenied("Only this community's moderators see member-level metrics.")
    return community


def access_my_network(*, user, slug: str) -> Community:
    community = access_community_content(user=user, slug=slug)
    if not can_view_my_network(user, community):
        raise PermissionDenied("Only active members of this community have a network here.")
    return community
