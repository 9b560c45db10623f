"""The permission matrix: every kind of viewer x every visibility x every page and action.

The table below is the specification. Each cell is the outcome for one viewer:

- ``show``   200, and the community's content (a canary in its about text, or on a profile page
             the private membership) is on the page;
- ``hide``   200, but the content is not on the page (listing level only: name and domain);
- ``done``   a redirect that is not to the login page: the action was carried out (or was a
             harmless repeat); its effect is checked below;
- ``login``  a redirect to the login page; nothing changed;
- ``403``    forbidden: an action on a community the viewer can see; nothing changed;
- ``404``    exactly what an unknown slug gives: same status, same page, no canary, no about
             text, no moderator name; nothing changed.

Nothing is ever a 500.

Viewers: ``anon`` (not signed in), ``outsider`` (signed in, no membership), ``pending``,
``member``, ``moderator``, ``banned``, ``left``, ``declined`` (membership states), ``staff`` (a
staff account with no membership and no permission: it opens the Django admin, nothing more, so
it is an outsider here), ``staff_perm`` (a staff account granted the site-admin permission) and
``superuser``; the last two are site admins.
"""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from communities import permissions, services
from communities.models import Community, Invitation, Membership, MembershipEvent, Profile
from tests.factories import CommunityFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

VIEWERS = [
    "anon",
    "outsider",
    "pending",
    "member",
    "moderator",
    "banned",
    "left",
    "declined",
    "staff",
    "staff_perm",
    "superuser",
]

# The table's column heads, short enough to keep a row on one line.
COLUMNS = {
    "anon": "anon",
    "out": "outsider",
    "pend": "pending",
    "memb": "member",
    "mod": "moderator",
    "ban": "banned",
    "left": "left",
    "decl": "declined",
    "staff": "staff",
    "perm": "staff_perm",
    "super": "superuser",
}

# fmt: off
MATRIX = """
action            visibility anon  out   pend  memb  mod   ban   left  decl  staff perm  super
home              open       show  show  show  show  show  show  show  show  show  show  show
home              request    show  show  show  show  show  show  show  show  show  show  show
home              private    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members           open       show  show  show  show  show  show  show  show  show  show  show
members           request    show  show  show  show  show  show  show  show  show  show  show
members           private    404   404   404   show  show  404   404   404   404   show  show
moderate          open       login 403   403   403   show  403   403   403   403   show  show
moderate          request    login 403   403   403   show  403   403   403   403   show  show
moderate          private    login 404   404   403   show  404   404   404   404   show  show
join              open       login done  403   done  done  403   done  done  done  done  done
join              request    login 403   403   done  done  403   403   403   403   403   403
join              private    login 403   403   done  done  403   403   403   403   403   403
request           open       login 403   done  403   403   403   403   403   403   403   403
request           request    login done  done  403   403   403   done  done  done  done  done
request           private    login done  done  403   403   403   done  done  done  done  done
leave             open       login done  done  done  done  403   done  done  done  done  done
leave             request    login done  done  done  done  403   done  done  done  done  done
leave             private    login done  done  done  done  403   done  done  done  done  done
approve           open       login 403   403   403   done  403   403   403   403   done  done
approve           request    login 403   403   403   done  403   403   403   403   done  done
approve           private    login 404   404   403   done  404   404   404   404   done  done
decline           open       login 403   403   403   done  403   403   403   403   done  done
decline           request    login 403   403   403   done  403   403   403   403   done  done
decline           private    login 404   404   403   done  404   404   404   404   done  done
ban               open       login 403   403   403   done  403   403   403   403   done  done
ban               request    login 403   403   403   done  403   403   403   403   done  done
ban               private    login 404   404   403   done  404   404   404   404   done  done
unban             open       login 403   403   403   done  403   403   403   403   done  done
unban             request    login 403   403   403   done  403   403   403   403   done  done
unban             private    login 404   404   403   done  404   404   404   404   done  done
invitation_create open       login 403   403   403   done  403   403   403   403   done  done
invitation_create request    login 403   403   403   done  403   403   403   403   done  done
invitation_create private    login 404   404   403   done  404   404   404   404   done  done
invitation_revoke open       login 403   403   403   done  403   403   403   403   done  done
invitation_revoke request    login 403   403   403   done  403   403   403   403   done  done
invitation_revoke private    login 404   404   403   done  404   404   404   404   done  done
invitation_page   open       hide  hide  hide  hide  hide  hide  hide  hide  hide  hide  hide
invitation_page   request    hide  hide  hide  hide  hide  hide  hide  hide  hide  hide  hide
invitation_page   private    hide  hide  hide  hide  hide  hide  hide  hide  hide  hide  hide
invitation_accept open       login done  done  done  done  403   done  done  done  done  done
invitation_accept request    login done  done  done  done  403   done  done  done  done  done
invitation_accept private    login done  done  done  done  403   done  done  done  done  done
profile           open       show  show  show  show  show  show  show  show  show  show  show
profile           request    show  show  show  show  show  show  show  show  show  show  show
profile           private    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
profile_expertise open       hide  hide  hide  show  show  hide  hide  hide  hide  show  show
profile_expertise request    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
profile_expertise private    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members_expertise open       hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members_expertise request    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members_expertise private    404   404   404   show  show  404   404   404   404   show  show
members_by_tag    open       hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members_by_tag    request    hide  hide  hide  show  show  hide  hide  hide  hide  show  show
members_by_tag    private    404   404   404   show  show  404   404   404   404   show  show
"""
# fmt: on


def _parse(table: str) -> dict[tuple[str, str, str], str]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == list(COLUMNS) and list(COLUMNS.values()) == VIEWERS
    expected = {}
    for action, visibility, *outcomes in rows:
        assert len(outcomes) == len(VIEWERS), (action, visibility)
        for viewer, outcome in zip(VIEWERS, outcomes, strict=True):
            expected[(action, visibility, viewer)] = outcome
    return expected


EXPECTED = _parse(MATRIX)
ACTIONS = list(dict.fromkeys(action for action, _, _ in EXPECTED))
VISIBILITIES = ["open", "request", "private"]

CANARY_ABOUT = "CANARY-about-7f3a"
COMMUNITY_NAME = "Canary Circle"
MODERATOR_NAME = "Moderator Canary-Name"
MEMBER_NAME = "Member Canary-Person"
APPLICANT_NAME = "Applicant Canary-Person"
# The member's declared expertise: it follows their "who sees my details" choice (members of
# their communities, the default), like occupation and bio.
EXPERTISE_CANARY = "expertise-zq9d2c"
# What proves that a page shows the community's content (or, for the expertise rows, the
# member's expertise: the tag itself, or the member found by it).
CONTENT_CANARY = {
    "home": CANARY_ABOUT,
    "members": MEMBER_NAME,
    "moderate": APPLICANT_NAME,
    "invitation_page": CANARY_ABOUT,
    "profile": COMMUNITY_NAME,
    "profile_expertise": EXPERTISE_CANARY,
    "members_expertise": EXPERTISE_CANARY,
    "members_by_tag": MEMBER_NAME,
}
# Pages whose "hide" is the listing level: the community's name and domain, nobody's name.
LISTING_LEVEL = {"home", "invitation_page", "profile"}
PAGES = {"home", "members", "moderate", "invitation_page", "profile", *CONTENT_CANARY}
PROFILE_PAGES = {"profile", "profile_expertise"}

State = Membership.State
Role = Membership.Role


def make_staff_with_permission():
    """A staff account granted the site-admin permission in the admin (not a superuser)."""
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    app_label, codename = permissions.SITE_ADMIN_PERMISSION.split(".")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    return user


SITE_STAFF = {
    "staff": lambda: UserFactory(is_staff=True),
    "staff_perm": make_staff_with_permission,
    "superuser": lambda: UserFactory(is_superuser=True),
}
SITE_ADMINS = ("staff_perm", "superuser")
STATE_OF = {
    "pending": State.PENDING,
    "member": State.ACTIVE,
    "banned": State.BANNED,
    "left": State.LEFT,
    "declined": State.DECLINED,
}


class World:
    """One community of the given visibility with a viewer in the given role, and the people and
    objects the actions act upon."""

    def __init__(self, visibility: str, viewer: str):
        self.community = CommunityFactory(
            name=COMMUNITY_NAME,
            slug="canary",
            visibility=visibility,
            about=f"Inside: {CANARY_ABOUT}",
        )
        head = make_member(self.community, role=Role.MODERATOR).user
        Profile.objects.filter(user=head).update(display_name=MODERATOR_NAME)
        self.applicant = make_member(self.community, state=State.PENDING)
        self.target = make_member(self.community)  # an ordinary member, to be banned
        Profile.objects.filter(user=self.applicant.user).update(display_name=APPLICANT_NAME)
        Profile.objects.filter(user=self.target.user).update(display_name=MEMBER_NAME)
        services.profile_update(
            profile=Profile.objects.get(user=self.target.user),
            expertise=[EXPERTISE_CANARY],
            details_visible_to=Profile.Visibility.COMMUNITIES,
        )
        self.outcast = make_member(self.community, state=State.BANNED)
        self.invitation = services.invitation_create(community=self.community, by=head)
        self.viewer_name = viewer
        self.viewer = None
        if viewer in SITE_STAFF:
            self.viewer = SITE_STAFF[viewer]()
        elif viewer == "moderator":
            self.viewer = make_member(self.community, role=Role.MODERATOR).user
        elif viewer != "anon":
            self.viewer = UserFactory()
            if viewer != "outsider":
                make_member(self.community, self.viewer, state=STATE_OF[viewer])

    def snapshot(self):
        return (
            list(MembershipEvent.objects.values_list("pk", flat=True)),
            list(Membership.objects.order_by("pk").values_list("pk", "state", "role")),
            list(Invitation.objects.order_by("pk").values_list("pk", "use_count", "revoked_at")),
        )

    def viewer_state(self):
        return (
            Membership.objects.filter(community=self.community, user=self.viewer)
            .values_list("state", flat=True)
            .first()
        )


def _request(client, world: World, action: str, slug: str):
    """Perform *action* on the community *slug* (the real one or an unknown one)."""
    c = world.community
    url = {
        "home": reverse("communities:home", args=[slug]),
        "members": reverse("communities:members", args=[slug]),
        "moderate": reverse("communities:moderate", args=[slug]),
        "join": reverse("communities:join", args=[slug]),
        "request": reverse("communities:request", args=[slug]),
        "leave": reverse("communities:leave", args=[slug]),
        "approve": reverse("communities:decide", args=[slug, world.applicant.pk, "approve"]),
        "decline": reverse("communities:decide", args=[slug, world.applicant.pk, "decline"]),
        "ban": reverse("communities:ban", args=[slug, world.target.pk]),
        "unban": reverse("communities:unban", args=[slug, world.outcast.pk]),
        "invitation_create": reverse("communities:invitation_create", args=[slug]),
        "invitation_revoke": reverse(
            "communities:invitation_revoke", args=[slug, world.invitation.pk]
        ),
        "invitation_page": world.invitation.get_absolute_url(),
        "invitation_accept": world.invitation.get_absolute_url(),
        "profile": reverse("communities:profile", args=[world.target.user.username]),
        "profile_expertise": reverse("communities:profile", args=[world.target.user.username]),
        "members_expertise": reverse("communities:members", args=[slug]),
        "members_by_tag": reverse("communities:members", args=[slug]) + f"?tag={EXPERTISE_CANARY}",
    }[action]
    if action in PAGES:
        return client.get(url)
    data = {"note": "for a colleague", "max_uses": 1, "days": 7, "message": "hello"}
    assert slug == c.slug or action not in ("invitation_page", "invitation_accept", *PROFILE_PAGES)
    return client.post(url, data)


def _check_done(world: World, action: str) -> None:
    """The effect a ``done`` action must have had."""
    refresh = Membership.objects.get
    if action in ("join", "invitation_accept"):
        assert world.viewer_state() == State.ACTIVE
    elif action == "request":
        assert world.viewer_state() == State.PENDING
    elif action == "leave":
        assert world.viewer_state() in (None, State.LEFT, State.DECLINED)
    elif action == "approve":
        assert refresh(pk=world.applicant.pk).state == State.ACTIVE
    elif action == "decline":
        assert refresh(pk=world.applicant.pk).state == State.DECLINED
    elif action == "ban":
        assert refresh(pk=world.target.pk).state == State.BANNED
    elif action == "unban":
        assert refresh(pk=world.outcast.pk).state == State.LEFT
    elif action == "invitation_create":
        assert Invitation.objects.filter(community=world.community).count() == 2
    elif action == "invitation_revoke":
        world.invitation.refresh_from_db()
        assert world.invitation.revoked_at is not None
    else:  # pragma: no cover - the table names only these
        raise AssertionError(action)


_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _normalised(response, slug: str) -> bytes:
    return _CSRF.sub(b"", response.content).replace(slug.encode(), b"SLUG")


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_matrix(client, action, visibility, viewer):
    expected = EXPECTED[(action, visibility, viewer)]
    world = World(visibility, viewer)
    if world.viewer is not None:
        client.force_login(world.viewer)
    before = world.snapshot()

    response = _request(client, world, action, world.community.slug)

    body = response.content
    assert response.status_code != 500
    if expected in ("show", "hide"):
        assert response.status_code == 200, body[:400]
        assert (CONTENT_CANARY[action].encode() in body) is (expected == "show")
        if action not in PROFILE_PAGES:
            assert COMMUNITY_NAME.encode() in body  # the listing level is always there
        if expected == "hide" and action in LISTING_LEVEL:
            assert MODERATOR_NAME.encode() not in body
    elif expected == "done":
        assert response.status_code == 302, body[:400]
        assert not response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        _check_done(world, action)
    elif expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        assert world.snapshot() == before
    elif expected == "403":
        assert response.status_code == 403, body[:400]
        assert world.snapshot() == before
    elif expected == "404":
        assert response.status_code == 404
        assert world.snapshot() == before
        for secret in (CANARY_ABOUT, MODERATOR_NAME, COMMUNITY_NAME, world.community.domain):
            assert secret.encode() not in body
        unknown = _request(client, world, action, "no-such-community")
        assert unknown.status_code == 404
        assert _normalised(response, world.community.slug) == _normalised(
            unknown, "no-such-community"
        )
    else:  # pragma: no cover
        raise AssertionError(f"unknown outcome {expected!r}")


def test_permission_matrix_covers_every_cell():
    assert len(EXPECTED) == len(ACTIONS) * len(VISIBILITIES) * len(VIEWERS)
    assert set(EXPECTED.values()) <= {"show", "hide", "done", "login", "403", "404"}


# --- the permission functions themselves -------------------------------------------------------


def _viewer(community, kind):
    """A user of *kind* (a viewer name) in *community*; AnonymousUser for ``anon``."""
    from django.contrib.auth.models import AnonymousUser

    if kind == "anon":
        return AnonymousUser()
    if kind in SITE_STAFF:
        return SITE_STAFF[kind]()
    user = UserFactory()
    if kind == "moderator":
        make_member(community, user, role=Role.MODERATOR)
    elif kind != "outsider":
        make_member(community, user, state=STATE_OF[kind])
    return user


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_permissions_questions_follow_the_rules(visibility, viewer):
    community = CommunityFactory(visibility=visibility)
    user = _viewer(community, viewer)
    is_admin = viewer in SITE_ADMINS
    active = viewer in ("member", "moderator")
    signed_in = viewer != "anon"

    assert permissions.is_admin(user) is is_admin
    assert permissions.can_view_content(user, community) is (
        visibility != "private" or active or is_admin
    )
    assert permissions.can_post(user, community) is (active or is_admin)
    assert permissions.can_moderate(user, community) is (viewer == "moderator" or is_admin)
    assert permissions.can_subscribe_digest(user, community) is (active or is_admin)
    if signed_in:
        assert (community in set(permissions.moderated_communities(user))) is (
            viewer == "moderator" or is_admin
        )
    assert permissions.users_who_can_view(community, [user.pk] if signed_in else []) == (
        [user.pk] if signed_in and permissions.can_view_content(user, community) else []
    )
    may_start = signed_in and viewer in ("outsider", "left", "declined", *SITE_STAFF)
    assert permissions.can_join(user, community) is (visibility == "open" and may_start)
    assert permissions.can_request(user, community) is (visibility != "open" and may_start)
    assert permissions.can_leave(user, community) is (viewer in ("pending", "member", "moderator"))
    assert permissions.can_accept_invitation(user, community) is (
        signed_in and viewer not in ("member", "moderator", "banned")
    )
    readable = set(permissions.readable_communities(user))
    assert (community in readable) is permissions.can_view_content(user, community)
    listed = permissions.listed_communities(user)
    assert community in set(listed)
    if signed_in:
        assert listed.get(pk=community.pk).viewer_is_member is active


def test_can_ban_rules():
    community = CommunityFactory()
    moderator = make_member(community, role=Role.MODERATOR)
    other_moderator = make_member(community, role=Role.MODERATOR)
    member = make_member(community)
    pending = make_member(community, state=State.PENDING)
    banned = make_member(community, state=State.BANNED)
    staff = make_staff_with_permission()

    assert permissions.can_ban(moderator.user, member)
    assert permissions.can_ban(moderator.user, pending)
    assert not permissions.can_ban(moderator.user, banned)  # already banned
    assert not permissions.can_ban(moderator.user, other_moderator)
    assert not permissions.can_ban(moderator.user, moderator)  # not themselves
    assert permissions.can_ban(staff, other_moderator)
    assert not permissions.can_ban(UserFactory(is_staff=True), other_moderator)
    assert not permissions.can_ban(member.user, pending)
    staff_membership = make_member(community, staff, role=Role.MODERATOR)
    permissions.forget_memberships(staff)
    assert not permissions.can_ban(staff, staff_membership)


def test_is_admin_needs_a_superuser_or_the_permission_not_staff_alone():
    assert not permissions.is_admin(UserFactory(is_staff=True))
    assert permissions.is_admin(make_staff_with_permission())
    assert permissions.is_admin(UserFactory(is_superuser=True))
    assert permissions.is_admin(UserFactory(is_staff=True, is_superuser=True))
    assert not permissions.is_admin(UserFactory(is_superuser=True, is_active=False))
    assert not permissions.is_admin(UserFactory())
    # The permission is a staff account's: granted to someone who cannot open the admin, it
    # gives nothing (and ordinary members' checks stay free of permission queries).
    demoted = make_staff_with_permission()
    demoted.is_staff = False
    demoted.save()
    assert not permissions.is_admin(type(demoted).objects.get(pk=demoted.pk))
    # Through a group, as the admin grants it to a team.
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Site admins")
    app_label, codename = permissions.SITE_ADMIN_PERMISSION.split(".")
    group.permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    via_group = UserFactory(is_staff=True)
    via_group.groups.add(group)
    assert permissions.is_admin(type(via_group).objects.get(pk=via_group.pk))


def test_readable_communities_q_with_prefix_filters_related_rows():
    open_c = CommunityFactory(visibility="open")
    request_c = CommunityFactory(visibility="request")
    private_c = CommunityFactory(visibility="private")
    other_private = CommunityFactory(visibility="private")
    member = make_member(private_c).user
    for c in (open_c, request_c, private_c, other_private):
        make_member(c)
    from django.contrib.auth.models import AnonymousUser

    def communities_of_readable_memberships(user):
        q = permissions.readable_communities_q(user, prefix="community__")
        return set(Membership.objects.filter(q).values_list("community__slug", flat=True))

    assert communities_of_readable_memberships(AnonymousUser()) == {open_c.slug, request_c.slug}
    assert communities_of_readable_memberships(UserFactory()) == {open_c.slug, request_c.slug}
    assert communities_of_readable_memberships(member) == {
        open_c.slug,
        request_c.slug,
        private_c.slug,
    }
    assert communities_of_readable_memberships(UserFactory(is_staff=True)) == {
        open_c.slug,
        request_c.slug,
    }
    assert communities_of_readable_memberships(make_staff_with_permission()) == {
        open_c.slug,
        request_c.slug,
        private_c.slug,
        other_private.slug,
    }
    # Membership in another state does not open a private community.
    for state in (State.PENDING, State.BANNED, State.LEFT, State.DECLINED):
        user = make_member(other_private, state=state).user
        assert other_private.slug not in communities_of_readable_memberships(user)


def test_profile_memberships_never_reveal_a_private_membership_to_an_outsider():
    from django.contrib.auth.models import AnonymousUser

    open_c = CommunityFactory(visibility="open")
    private_c = CommunityFactory(visibility="private")
    person = UserFactory()
    make_member(open_c, person)
    make_member(private_c, person, role=Role.MODERATOR)
    fellow = make_member(private_c).user
    pending = make_member(private_c, state=State.PENDING).user

    def seen_by(viewer):
        return {m.community for m in permissions.profile_memberships(viewer, person)}

    assert seen_by(AnonymousUser()) == {open_c}
    assert seen_by(UserFactory()) == {open_c}
    assert seen_by(pending) == {open_c}
    assert seen_by(fellow) == {open_c, private_c}
    assert seen_by(UserFactory(is_staff=True)) == {open_c}
    assert seen_by(make_staff_with_permission()) == {open_c, private_c}
    assert seen_by(person) == {open_c, private_c}
    # Memberships that are not active are never shown, whoever looks.
    services.membership_leave(community=open_c, user=person)
    assert seen_by(UserFactory(is_superuser=True)) == {private_c}


def test_visible_memberships_empty_when_content_hidden():
    private_c = CommunityFactory(visibility="private")
    make_member(private_c)
    make_member(private_c, state=State.PENDING)
    assert not permissions.visible_memberships(UserFactory(), private_c).exists()
    member = make_member(private_c).user
    assert permissions.visible_memberships(member, private_c).count() == 2  # active only


def test_access_gatekeepers_raise_404_and_403():
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    private_c = CommunityFactory(visibility=Community.Visibility.PRIVATE)
    open_c = CommunityFactory(visibility=Community.Visibility.OPEN)
    outsider = UserFactory()
    with pytest.raises(Http404):
        permissions.access_community(user=outsider, slug="missing")
    assert permissions.access_community(user=outsider, slug=private_c.slug) == private_c
    with pytest.raises(Http404):
        permissions.access_community_content(user=outsider, slug=private_c.slug)
    with pytest.raises(Http404):
        permissions.access_community_moderation(user=outsider, slug=private_c.slug)
    with pytest.raises(PermissionDenied):
        permissions.access_community_moderation(user=outsider, slug=open_c.slug)
    with pytest.raises(PermissionDenied):
        permissions.require_can_post(user=outsider, community=open_c)
    moderator = make_member(open_c, role=Role.MODERATOR).user
    other = make_member(private_c)
    with pytest.raises(Http404):  # a membership of another community is not found here
        permissions.access_membership_for_moderation(
            user=moderator, community=open_c, membership_id=other.pk
        )


@pytest.mark.parametrize(
    ("visible_to", "viewer", "sees"),
    [
        ("everyone", "anon", True),
        ("everyone", "outsider", True),
        ("communities", "anon", False),
        ("communities", "outsider", False),
        ("communities", "fellow", True),
        ("communities", "fellow_pending", False),
        ("only_me", "fellow", False),
        ("only_me", "self", True),
        ("only_me", "staff", False),
        ("only_me", "staff_perm", True),
        ("only_me", "superuser", True),
        ("communities", "self", True),
    ],
)
def test_can_view_profile_details(visible_to, viewer, sees):
    from django.contrib.auth.models import AnonymousUser

    community = CommunityFactory()
    person = make_member(community).user
    profile = services.profile_for(person)
    profile.details_visible_to = visible_to
    profile.save()
    user = {
        "anon": lambda: AnonymousUser(),
        "outsider": lambda: UserFactory(),
        "fellow": lambda: make_member(community).user,
        "fellow_pending": lambda: make_member(community, state=State.PENDING).user,
        "self": lambda: person,
        **SITE_STAFF,
    }[viewer]()
    assert permissions.can_view_profile_details(user, profile) is sees


@pytest.mark.parametrize("viewer", VIEWERS)
def test_directory_shows_a_private_member_count_only_to_readers(client, viewer):
    private_c = CommunityFactory(name="Quiet Circle", visibility="private")
    for _ in range(3):
        make_member(private_c)
    user = _viewer(private_c, viewer)
    if viewer != "anon":
        client.force_login(user)
    body = client.get(reverse("communities:directory")).content.decode()
    assert "Quiet Circle" in body  # the listing level is always there
    reads = viewer in ("member", "moderator", *SITE_ADMINS)
    members = 3 + (viewer in ("member", "moderator"))
    assert (f"{members} members" in body) is reads
