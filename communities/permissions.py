"""Who may see or do what in a community: roles, visibility and membership, the predicates every
app's own ``permissions`` module builds on. Views, searches, feeds, exports and dashboards ask
those modules and never re-implement a rule; only they raise ``PermissionDenied``.

Roles: anonymous, signed-in non-member, pending, member, moderator, banned, admin (a superuser,
or a staff account granted ``SITE_ADMIN_PERMISSION``; staff status alone only opens the Django
admin, where model permissions apply).
Visibility: open (anyone reads; signed-in users join at once), request (anyone reads; posting
needs an approved membership), private (listed by name and domain only; content for members).

Rule of thumb for refusals: content a viewer may not even know about is a 404 (the same as a
missing object); an action on something the viewer can see is a 403; an anonymous viewer is sent
to log in by the view's ``login_required``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.http import Http404

from accounts.selectors import user_has_mfa
from communities.models import UNNAMED_MEMBER, Community, DashboardNaming, Membership, Profile
from core import rows as model_rows

Visibility = Community.Visibility
State = Membership.State
Role = Membership.Role

_CACHE_ATTR = "_practica_memberships"
SITE_ADMIN_PERMISSION = "communities.administer_all_communities"
# ``with_perm`` needs to be told which backend holds permissions when there are several.
_PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- who is the viewer ---------------------------------------------------------------------------


def is_admin(user) -> bool:
    """Is *user* a site admin: an active superuser, or a staff account granted the permission?"""
    if not (user.is_authenticated and user.is_active):
        return False
    # Only staff accounts are asked about the permission: it is granted in the admin, and
    # ordinary members (most checks) then cost no permission queries.
    return user.is_superuser or (user.is_staff and user.has_perm(SITE_ADMIN_PERMISSION))


def site_admin_ids(user_ids) -> set[int]:
    """Keep the ids of site admins among *user_ids* (one query)."""
    users = get_user_model().objects.with_perm(
        SITE_ADMIN_PERMISSION, include_superusers=True, backend=_PERMISSION_BACKEND
    )
    return set(
        users.filter(pk__in=user_ids)
        .filter(Q(is_superuser=True) | Q(is_staff=True))
        .values_list("pk", flat=True)
    )


def membership_of(user, community: Community) -> Membership | None:
    """Return *user*'s membership row in *community* (any state), cached on the user object."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault(_CACHE_ATTR, {})
    if community.pk not in cache:
        cache[community.pk] = Membership.objects.filter(community=community, user=user).first()
    return cache[community.pk]


def memberships_prefetch(users, community: Community) -> None:
    """Cache the membership rows in *community* of the accounts *users* on each (one query for
    all), so the checks that follow ask the database nothing (an import's new people)."""
    pending = [
        u
        for u in users
        if u.is_authenticated and community.pk not in u.__dict__.get(_CACHE_ATTR, {})
    ]
    if not pending:
        return
    rows = {
        m.user_id: m
        for m in Membership.objects.filter(community=community, user__in=[u.pk for u in pending])
    }
    for user in pending:
        user.__dict__.setdefault(_CACHE_ATTR, {})[community.pk] = rows.get(user.pk)


def forget_memberships(user) -> None:
    """Drop the cached memberships of *user* (after a service changed one)."""
    user.__dict__.pop(_CACHE_ATTR, None)


def _state(user, community) -> str | None:
    membership = membership_of(user, community)
    return membership.state if membership else None


def is_active_member(user, community: Community) -> bool:
    return _state(user, community) == State.ACTIVE


def is_moderator(user, community: Community) -> bool:
    membership = membership_of(user, community)
    return bool(membership and membership.is_moderator)


# --- questions -----------------------------------------------------------------------------------


def can_view_content(user, community: Community) -> bool:
    """May *user* read the community's content (about text, members, threads, items...)?"""
    if community.visibility in (Visibility.OPEN, Visibility.REQUEST):
        return True
    return is_admin(user) or is_active_member(user, community)


def can_post(user, community: Community) -> bool:
    return is_admin(user) or is_active_member(user, community)


def can_moderate(user, community: Community) -> bool:
    """Moderators moderate; where the community asks it, only with a second factor set up."""
    return is_admin(user) or (is_moderator(user, community) and _meets_2fa_rule(user, community))


def _meets_2fa_rule(user, community: Community) -> bool:
    return not community.moderators_need_2fa or user_has_mfa(user)


def moderator_needs_2fa(user, community: Community) -> bool:
    """Is *user* a moderator here who may not moderate until they set up two-factor sign-in?
    (The community header asks them to.)"""
    return is_moderator(user, community) and not _meets_2fa_rule(user, community)


def can_join(user, community: Community) -> bool:
    """May *user* join at once (open communities only)?"""
    return (
        user.is_authenticated
        and community.visibility == Visibility.OPEN
        and _state(user, community) in (None, State.LEFT, State.DECLINED)
    )


def can_request(user, community: Community) -> bool:
    """May *user* ask a moderator to let them in?"""
    return (
        user.is_authenticated
        and community.visibility in (Visibility.REQUEST, Visibility.PRIVATE)
        and _state(user, community) in (None, State.LEFT, State.DECLINED)
    )


def can_leave(user, community: Community) -> bool:
    return _state(user, community) in (State.ACTIVE, State.PENDING)


def can_accept_invitation(user, community: Community) -> bool:
    return user.is_authenticated and _state(user, community) in (
        None,
        State.LEFT,
        State.DECLINED,
        State.PENDING,
    )


def can_ban(user, membership: Membership) -> bool:
    """Moderators ban members; only admins ban moderators; nobody bans themselves."""
    if membership.user_id == user.pk or not can_moderate(user, membership.community):
        return False
    if membership.role == Role.MODERATOR and membership.state == State.ACTIVE:
        return is_admin(user)
    return membership.state in (State.ACTIVE, State.PENDING, State.LEFT, State.DECLINED)


# A member's details (occupation, organisation, location, bio and declared expertise) follow
# their "who sees my details" choice wherever they appear: the profile page, the members
# directory and its tag filter, the experts pages, search. Name, username and professional
# group are always shown.


def can_view_profile_details(viewer, profile: Profile) -> bool:
    """May *viewer* see the profile's occupation, organisation, location, bio and expertise?"""
    if viewer.is_authenticated and (viewer.pk == profile.user_id or is_admin(viewer)):
        return True
    if profile.details_visible_to == Profile.Visibility.EVERYONE:
        return True
    if profile.details_visible_to == Profile.Visibility.COMMUNITIES and viewer.is_authenticated:
        return Membership.objects.filter(
            user=profile.user_id,
            state=State.ACTIVE,
            community__memberships__user=viewer,
            community__memberships__state=State.ACTIVE,
        ).exists()
    return False


def profile_details_visible_q(viewer, prefix: str = "") -> Q:
    """A Q for "profiles whose details *viewer* may see" (the rule of
    ``can_view_profile_details`` for many at once); *prefix* reaches the profile from a related
    model (e.g. ``"user__profile__"`` on memberships)."""
    if is_admin(viewer):
        return Q(**{f"{prefix}pk__isnull": False})
    everyone = Q(**{f"{prefix}details_visible_to": Profile.Visibility.EVERYONE})
    if not viewer.is_authenticated:
        return everyone
    viewer_communities = Membership.objects.filter(user=viewer, state=State.ACTIVE).values(
        "community_id"
    )
    fellows = Membership.objects.filter(
        community_id__in=viewer_communities, state=State.ACTIVE
    ).values("user_id")
    return (
        everyone
        | Q(**{f"{prefix}user": viewer.pk})
        | Q(
            **{
                f"{prefix}details_visible_to": Profile.Visibility.COMMUNITIES,
                f"{prefix}user__in": fellows,
            }
        )
    )


def profile_details_public(profile: Profile | None) -> bool:
    """May anybody at all see the profile's details (what a shared index may hold)?"""
    return profile is not None and profile.details_visible_to == Profile.Visibility.EVERYONE


# --- querysets -----------------------------------------------------------------------------------


def _active_membership_of(user):
    return Membership.objects.filter(community=OuterRef("pk"), user=user, state=State.ACTIVE)


def readable_communities_q(user, prefix: str = "") -> Q:
    """A Q for "communities whose content *user* may read"; *prefix* reaches them from a related
    model (e.g. ``"community__"`` on threads)."""
    public = Q(**{f"{prefix}visibility__in": [Visibility.OPEN, Visibility.REQUEST]})
    if is_admin(user):
        return Q()
    if not user.is_authenticated:
        return public
    member_of = Membership.objects.filter(user=user, state=State.ACTIVE).values("community_id")
    return public | Q(**{f"{prefix}pk__in": member_of})


def listed_communities(user) -> QuerySet[Community]:
    """Every community appears in the directory; private ones by name and domain only.

    Each row says whether *user* is an active member (``viewer_is_member``, signed in only)
    and may read its content (``viewer_can_read``: member counts and the like).
    """
    qs = Community.objects.all()
    if user.is_authenticated:
        qs = qs.annotate(viewer_is_member=Exists(_active_membership_of(user)))
    readable = readable_communities_q(user)
    if not readable:  # an admin reads everything
        return qs.annotate(viewer_can_read=Value(True, output_field=BooleanField()))
    return qs.annotate(viewer_can_read=ExpressionWrapper(readable, output_field=BooleanField()))


def readable_communities(user) -> QuerySet[Community]:
    return Community.objects.filter(readable_communities_q(user))


# In the model's field order, as Model.from_db takes the values of a partial row.
_NAMED_FIELDS = ("id", "name", "slug")


def readable_communities_named(user) -> list[Community]:
    """The communities whose content *user* may read, by name, with only their id, slug and
    name loaded (the others deferred): ``readable_communities(user).only("id", "slug", "name")``
    read with a plain statement, as composing that queryset cost several times what running it
    does (bench/search.py). The rule is readable_communities_q's."""
    where, params = "", []
    if not is_admin(user):
        where, params = "WHERE visibility IN (%s, %s)", [Visibility.OPEN, Visibility.REQUEST]
        if user.is_authenticated:
            where += (
                f" OR id IN (SELECT community_id FROM {Membership._meta.db_table} "  # noqa: S608
                "WHERE user_id = %s AND state = %s)"
            )
            params += [user.pk, State.ACTIVE]
    alias = router.db_for_read(Community)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_NAMED_FIELDS)} FROM {Community._meta.db_table} "  # noqa: S608
            f"{where} ORDER BY name",
            params,
        )
        rows = cursor.fetchall()
    return [Community.from_db(alias, _NAMED_FIELDS, row) for row in rows]


def visible_memberships(user, community: Community) -> QuerySet[Membership]:
    """Active memberships of *community* that *user* may list (none if the content is hidden)."""
    if not can_view_content(user, community):
        return Membership.objects.none()
    return Membership.objects.filter(community=community, state=State.ACTIVE)


def profile_memberships(viewer, user) -> QuerySet[Membership]:
    """*user*'s active memberships in communities *viewer* may read: a profile never reveals
    membership of a private community to someone outside it."""
    return Membership.objects.filter(user=user, state=State.ACTIVE).filter(
        readable_communities_q(viewer, prefix="community__")
    )


# --- gatekeepers that raise ----------------------------------------------------------------------


_COMMUNITY_BY_SLUG = (
    f"SELECT {', '.join(f.column for f in Community._meta.concrete_fields)} "
    f"FROM {Community._meta.db_table} WHERE slug = %s"
)


def access_community(*, user, slug: str) -> Community:
    """Return the community for listing-level pages (name, domain, join controls)."""
    # Every community page starts here: a plain query, as composing it in the ORM cost several
    # times what reading the row does (bench/thread_pages.py).
    community = model_rows.first(Community, _COMMUNITY_BY_SLUG, [slug])
    if community is None:
        raise Http404("No such community.")
    return community


def access_community_content(*, user, slug: str) -> Community:
    """Return the community if *user* may read its content; a hidden one is a 404."""
    community = access_community(user=user, slug=slug)
    if not can_view_content(user, community):
        raise Http404("No such community.")
    return community


def access_community_moderation(*, user, slug: str) -> Community:
    community = access_community_content(user=user, slug=slug)
    require_can_moderate(user=user, community=community)
    return community


def require_can_moderate(*, user, community: Community) -> None:
    if not can_moderate(user, community):
        raise PermissionDenied("Only this community's moderators can do that.")


def require_can_post(*, user, community: Community) -> None:
    if not can_post(user, community):
        raise PermissionDenied("Only active members can post in this community.")


def require_can_join(*, user, community: Community) -> None:
    if not can_join(user, community):
        raise PermissionDenied("You cannot join this community.")


def require_can_request(*, user, community: Community) -> None:
    if not can_request(user, community):
        raise PermissionDenied("You cannot request to join this community.")


def require_can_leave(*, membership: Membership) -> None:
    """Refuse leaving to a banned member (leaving would lift the ban); the service has already
    returned for rows that are left or declined, so this is ``can_leave`` on the locked row."""
    if membership.state == State.BANNED:
        raise PermissionDenied("A banned membership cannot be left.")


def require_can_accept_invitation(*, membership: Membership | None) -> None:
    """Refuse an invitation to a banned member (``can_accept_invitation`` on the locked row)."""
    if membership is not None and membership.state == State.BANNED:
        raise PermissionDenied("You are banned from this community.")


def require_can_ban(*, user, membership: Membership) -> None:
    if not can_ban(user, membership):
        raise PermissionDenied("You cannot ban this member.")


def can_set_role(user) -> bool:
    """Appointing and removing moderators is for site admins."""
    return is_admin(user)


def require_can_set_role(*, user) -> None:
    if not can_set_role(user):
        raise PermissionDenied("Only admins appoint moderators.")


def can_edit_membership(user) -> bool:
    """Editing a membership's role and state directly (the Django admin) is for site admins."""
    return is_admin(user)


def require_can_edit_membership(*, user) -> None:
    if not can_edit_membership(user):
        raise PermissionDenied("Only admins edit memberships directly.")


def access_membership_for_moderation(*, user, community: Community, membership_id) -> Membership:
    """Return a membership of *community* that *user* moderates; other ids are a 404."""
    require_can_moderate(user=user, community=community)
    membership = (
        Membership.objects.select_related("user", "community")
        .filter(community=community, pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    return membership


# --- follows, digests, moving threads ------------------------------------------------------------


def can_follow(user, community: Community) -> bool:
    """Signed-in readers may follow a community or one of its tags (notifications, not rights)."""
    return bool(user.is_authenticated and user.is_active and can_view_content(user, community))


def require_can_follow(*, user, community: Community) -> None:
    if not can_follow(user, community):
        raise PermissionDenied("You cannot follow this community.")


def can_subscribe_digest(user, community: Community) -> bool:
    """Active members (and admins) may get a community's weekly digest; it stops when they leave."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (is_active_member(user, community) or is_admin(user))
    )


def users_who_can_view(community: Community, user_ids: list[int]) -> list[int]:
    """Keep the ids of users who may read *community*'s content now (for notifications)."""
    if community.visibility != Visibility.PRIVATE or not user_ids:
        return list(user_ids)
    allowed = set(
        Membership.objects.filter(
            community=community, user_id__in=user_ids, state=State.ACTIVE
        ).values_list("user_id", flat=True)
    ) | site_admin_ids(user_ids)
    return [uid for uid in user_ids if uid in allowed]


def moderated_communities(user):
    """Communities *user* moderates (targets for moving a thread)."""
    if is_admin(user):
        return Community.objects.all()
    communities = Community.objects.filter(
        memberships__user=user, memberships__state=State.ACTIVE, memberships__role=Role.MODERATOR
    )
    if not user_has_mfa(user):
        communities = communities.filter(moderators_need_2fa=False)
    return communities


# --- being named on dashboards -------------------------------------------------------------------


def named_on_dashboards(naming: str, community: Community) -> bool:
    """Does a member whose profile says *naming* appear by name on *community*'s dashboards
    (moderators' lists, the network drawing, exports that are not pseudonymous)? Their own
    choice first, else the community's default. Community figures count everyone."""
    if naming == Profile.Naming.NAMED:
        return True
    if naming == Profile.Naming.UNNAMED:
        return False
    return community.dashboard_naming_default == DashboardNaming.NAMED


def dashboard_naming_q(community: Community, *, prefix: str = "") -> Q:
    """The members *community*'s dashboards may name, as a filter on rows reaching the profile
    through *prefix* (e.g. ``"user__profile__"``)."""
    field = f"{prefix}dashboard_naming"
    chosen = Q(**{field: Profile.Naming.NAMED})
    if community.dashboard_naming_default == DashboardNaming.NAMED:
        return chosen | Q(**{field: Profile.Naming.COMMUNITY})
    return chosen


def dashboard_name(user, community: Community) -> str:
    """The name *user* has on *community*'s dashboards: theirs, or "A member". Reads the
    profile loaded with the user (``select_related("…user__profile")``)."""
    profile = getattr(user, "profile", None)
    naming = profile.dashboard_naming if profile is not None else Profile.Naming.COMMUNITY
    if not named_on_dashboards(naming, community):
        return UNNAMED_MEMBER
    return (profile.display_name if profile is not None else "") or user.username
