"""Reads shared by views, tasks and commands. Every one starts from the permission layer."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from taggit.models import TaggedItem

from communities import activity, permissions
from communities.models import Community, Invitation, Membership, MembershipEvent, Profile

User = get_user_model()
State = Membership.State
Role = Membership.Role


def community_directory(*, user, query: str = "", now=None) -> QuerySet[Community]:
    """Communities for the directory, each with its count of active members and its activity
    signals (``activity.annotate_recent_activity``: posts in the last 30 days, last activity),
    the signals None where *user* may not read the community."""
    # Counted in a subquery, not by joining the memberships: a join would group every member's
    # row and evaluate the activity subqueries once per member instead of once per community.
    members = (
        Membership.objects.filter(community=OuterRef("pk"), state=State.ACTIVE)
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = permissions.listed_communities(user).annotate(
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0))
    )
    since = (now or timezone.now()) - timedelta(days=activity.RECENT_DAYS)
    qs = activity.annotate_recent_activity(
        qs, since=since, readable=permissions.readable_communities_q(user)
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(domain__icontains=query))
    return qs.order_by("name")


def my_communities(*, user) -> list[Membership]:
    """*user*'s active memberships with what is new in each since their last visit
    (``new_threads``, ``new_posts``): one query, however many communities."""
    if not user.is_authenticated:
        return []
    qs = Membership.objects.filter(user=user, state=State.ACTIVE).select_related("community")
    return list(activity.annotate_since_last_visit(qs).order_by("community__name"))


def community_moderators(*, community: Community) -> list[Membership]:
    return list(
        Membership.objects.filter(community=community, role=Role.MODERATOR, state=State.ACTIVE)
        .select_related("user__profile")
        .order_by("joined_at")
    )


def community_member_count(*, community: Community) -> int:
    return Membership.objects.filter(community=community, state=State.ACTIVE).count()


def member_directory(
    *, user, community: Community, tag: str = "", group=None, query: str = ""
) -> QuerySet[Membership]:
    """Active members *user* may list, filtered by expertise tag, professional group and name.

    Each row says whether *user* may see the member's details (``details_visible``): their
    expertise is shown, and found by its tag, only then.
    """
    details_visible = permissions.profile_details_visible_q(user, prefix="user__profile__")
    qs = (
        permissions.visible_memberships(user, community)
        .select_related("user__profile__professional_group")
        .annotate(details_visible=ExpressionWrapper(details_visible, output_field=BooleanField()))
    )
    if tag:
        qs = qs.filter(details_visible, user__profile__expertise__name__iexact=tag)
    if group is not None:
        qs = qs.filter(user__profile__professional_group=group)
    if query:
        qs = qs.filter(
            Q(user__username__icontains=query) | Q(user__profile__display_name__icontains=query)
        )
    return (
        qs.prefetch_related(
            Prefetch("user__profile__expertise"),
        )
        .order_by("-role", "user__profile__display_name", "user__username")
        .distinct()
    )


def community_expertise_tags(*, user, community: Community, limit: int = 30) -> list[dict]:
    """The expertise tags most declared by active members whose details *user* may see, with
    how many declare each."""
    profile_ids = (
        Profile.objects.filter(
            user__memberships__community=community, user__memberships__state=State.ACTIVE
        )
        .filter(permissions.profile_details_visible_q(user))
        .values("pk")
    )
    return list(
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Profile), object_id__in=profile_ids
        )
        .values("tag__name", "tag__slug")
        .annotate(uses=Count("id"))
        .order_by("-uses", "tag__name")[:limit]
    )


def pending_requests(*, community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community, state=State.PENDING)
        .select_related("user__profile__professional_group")
        .order_by("updated_at")
    )


def banned_members(*, community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community, state=State.BANNED)
        .select_related("user__profile")
        .order_by("-updated_at")
    )


def open_invitations(*, community: Community) -> QuerySet[Invitation]:
    now = timezone.now()
    return (
        Invitation.objects.filter(community=community, revoked_at__isnull=True, expires_at__gt=now)
        .select_related("created_by")
        .order_by("-created_at")
    )


def recent_membership_events(*, community: Community, limit: int = 20) -> list[MembershipEvent]:
    return list(
        MembershipEvent.objects.filter(community=community)
        .select_related("user__profile", "actor__profile")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def profile_page(*, viewer, username: str) -> dict | None:
    """What *viewer* may see of *username*'s profile, or None if there is no such active user."""
    user = (
        User.objects.filter(username=username, is_active=True)
        .select_related("profile__professional_group")
        .first()
    )
    if user is None:
        return None
    profile = getattr(user, "profile", None) or Profile(user=user)
    memberships = (
        permissions.profile_memberships(viewer, user)
        .select_related("community")
        .order_by("community__name")
    )
    show_details = permissions.can_view_profile_details(viewer, profile)
    return {
        "person": user,
        "profile": profile,
        "show_details": show_details,
        "expertise": list(profile.expertise.all()) if show_details and profile.pk else [],
        "memberships": list(memberships),
    }
