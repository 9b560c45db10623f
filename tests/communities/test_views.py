"""Pages and forms of the communities app, driven through the test client."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from communities import permissions, services
from communities.models import Invitation, Membership, MembershipEvent, ProfessionalGroup, Profile
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

State = Membership.State
Role = Membership.Role


def _names(response):
    return [c.name for c in response.context["page"].object_list]


# --- directory ---------------------------------------------------------------------------------


@pytest.fixture
def directory():
    CommunityFactory(name="Wound care nurses", domain="Chronic wounds and pressure ulcers")
    CommunityFactory(name="Physics teachers", domain="Teaching mechanics in secondary school")
    CommunityFactory(
        name="SRE circle", domain="Running services reliably at scale", visibility="private"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Physics teachers", "SRE circle", "Wound care nurses"]),
        ("physics", ["Physics teachers"]),
        ("NURSES", ["Wound care nurses"]),
        ("pressure ulcer", ["Wound care nurses"]),  # the domain
        ("reliab", ["SRE circle"]),  # a private community is listed by its domain too
        ("secondary", ["Physics teachers"]),
        ("nothing like this", []),
    ],
)
def test_directory_search_by_name_and_domain(client, directory, query, expected):
    response = client.get(reverse("communities:directory"), {"q": query})
    assert response.status_code == 200
    assert _names(response) == expected
    if not expected:
        assert "No community matches" in response.content.decode()


def test_directory_shows_visibility_and_size_but_not_of_private(client):
    open_c = CommunityFactory(name="Open one", visibility="open")
    private_c = CommunityFactory(name="Hidden one", visibility="private")
    for _ in range(3):
        make_member(open_c)
    for _ in range(7):
        make_member(private_c)
    body = client.get(reverse("communities:directory")).content.decode()
    assert "3 members" in body
    assert "7 members" not in body
    assert "Private" in body and "Open" in body
    member = make_member(private_c).user
    client.force_login(member)
    body = client.get(reverse("communities:directory")).content.decode()
    assert "8 members" in body
    assert "You are a member" in body


# --- community home ----------------------------------------------------------------------------


def test_home_controls_fit_the_viewer(client):
    open_c = CommunityFactory(visibility="open")
    request_c = CommunityFactory(visibility="request")
    make_member(request_c, role=Role.MODERATOR)
    body = client.get(open_c.get_absolute_url()).content.decode()
    assert "Log in to join" in body
    user = UserFactory()
    client.force_login(user)
    assert "Join this community" in client.get(open_c.get_absolute_url()).content.decode()
    body = client.get(request_c.get_absolute_url()).content.decode()
    assert "Ask to join" in body and "Join this community" not in body
    client.post(reverse("communities:request", args=[request_c.slug]), {"message": "hi"})
    body = client.get(request_c.get_absolute_url()).content.decode()
    assert "waiting for a moderator" in body and "Withdraw request" in body


def test_join_then_leave_through_the_pages(client, open_community):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("communities:join", args=[open_community.slug]), follow=True)
    assert f"Welcome to {open_community.name}" in response.content.decode()
    assert "You are a member" in response.content.decode()
    response = client.post(reverse("communities:leave", args=[open_community.slug]), follow=True)
    assert "no longer a member" in response.content.decode()
    assert Membership.objects.get(user=user).state == State.LEFT


def test_only_moderator_leaving_sees_the_reason(client, open_community):
    moderator = make_member(open_community, role=Role.MODERATOR).user
    client.force_login(moderator)
    response = client.post(reverse("communities:leave", args=[open_community.slug]), follow=True)
    assert "only moderator" in response.content.decode()
    assert Membership.objects.get(user=moderator).is_moderator


def test_request_form_error_keeps_typed_text(client, request_community):
    client.force_login(UserFactory())
    typed = "I teach physics. " * 40  # over 500 characters
    response = client.post(
        reverse("communities:request", args=[request_community.slug]), {"message": typed}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "at most 500 characters" in body
    assert typed.strip() in body
    assert not Membership.objects.exists()


# --- member directory --------------------------------------------------------------------------


@pytest.fixture
def people(open_community):
    nurses = ProfessionalGroup.objects.create(name="Nurses", slug="nurses")
    doctors = ProfessionalGroup.objects.create(name="Doctors", slug="doctors")
    spec = [
        ("ana", "Ana Peeters", nurses, ["pressure ulcers", "triage"]),
        ("bo", "Bo Jansen", doctors, ["triage"]),
        ("cas", "Cas Smit", nurses, ["dressings"]),
    ]
    for username, name, group, tags in spec:
        user = UserFactory(username=username)
        make_member(open_community, user)
        services.profile_update(
            profile=user.profile,
            display_name=name,
            professional_group=group,
            expertise=tags,
            details_visible_to=Profile.Visibility.EVERYONE,  # the visitor sees their expertise
        )
    make_member(open_community, UserFactory(username="gone"), state=State.LEFT)
    return open_community


def _member_names(response):
    return sorted(m.user.username for m in response.context["page"].object_list)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["ana", "bo", "cas"]),
        ({"tag": "triage"}, ["ana", "bo"]),
        ({"tag": "TRIAGE"}, ["ana", "bo"]),
        ({"tag": "dressings"}, ["cas"]),
        ({"group": "nurses"}, ["ana", "cas"]),
        ({"group": "nurses", "tag": "triage"}, ["ana"]),
        ({"q": "jansen"}, ["bo"]),
        ({"q": "cas"}, ["cas"]),  # username
        ({"tag": "unknown"}, []),
        ({"group": "no-such-group"}, ["ana", "bo", "cas"]),  # an invalid filter is ignored
    ],
)
def test_member_directory_filters(client, people, params, expected):
    response = client.get(reverse("communities:members", args=[people.slug]), params)
    assert response.status_code == 200
    assert _member_names(response) == expected


def test_member_directory_shows_tag_cloud_and_groups(client, people):
    body = client.get(reverse("communities:members", args=[people.slug])).content.decode()
    assert "triage" in body and "Nurses" in body
    tags = client.get(reverse("communities:members", args=[people.slug])).context["tags"]
    assert tags[0]["tag__name"] == "triage" and tags[0]["uses"] == 2


# --- moderation end to end ---------------------------------------------------------------------


@pytest.fixture
def moderated(client, django_capture_on_commit_callbacks):
    community = CommunityFactory(slug="mod", visibility="private")
    moderator = make_member(community, role=Role.MODERATOR).user
    applicant = UserFactory(username="applicant")
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("communities:request", args=[community.slug]), {"message": "Hi!"})
    client.force_login(moderator)
    return community, moderator, applicant


def test_moderator_sees_and_approves_a_request(
    client, moderated, django_capture_on_commit_callbacks
):
    community, moderator, applicant = moderated
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [moderator.email]
    page = client.get(reverse("communities:moderate", args=[community.slug]))
    assert "Requests to join (1)" in page.content.decode()
    assert "Hi!" in page.content.decode()
    membership = Membership.objects.get(user=applicant)
    url = reverse("communities:decide", args=[community.slug, membership.pk, "approve"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "Welcome aboard"}, follow=True)
    assert "applicant is now a member" in response.content.decode()
    assert "Requests to join (0)" in response.content.decode()
    assert Membership.objects.get(user=applicant).state == State.ACTIVE
    assert mail.outbox[-1].to == [applicant.email]
    assert "Welcome aboard" in mail.outbox[-1].body
    # The history on the moderator page shows who did what.
    assert "Request approved" in response.content.decode()


def test_moderator_declines_a_request(client, moderated):
    community, _, applicant = moderated
    membership = Membership.objects.get(user=applicant)
    url = reverse("communities:decide", args=[community.slug, membership.pk, "decline"])
    response = client.post(url, follow=True)
    assert "was declined" in response.content.decode()
    assert Membership.objects.get(user=applicant).state == State.DECLINED
    # Deciding again is explained, not a crash.
    response = client.post(
        reverse("communities:decide", args=[community.slug, membership.pk, "approve"]),
        follow=True,
    )
    assert "Only pending requests can be approved" in response.content.decode()


def test_moderator_creates_and_revokes_an_invitation(client, moderated):
    community, _, _ = moderated
    response = client.post(
        reverse("communities:invitation_create", args=[community.slug]),
        {"note": "for Dr. Smit", "max_uses": 3, "days": 5},
        follow=True,
    )
    invitation = Invitation.objects.get()
    assert (invitation.note, invitation.max_uses) == ("for Dr. Smit", 3)
    assert abs(invitation.expires_at - (timezone.now() + timedelta(days=5))) < timedelta(minutes=1)
    body = response.content.decode()
    assert "Invitation created" in body
    assert invitation.get_absolute_url() in body
    response = client.post(
        reverse("communities:invitation_revoke", args=[community.slug, invitation.pk]),
        follow=True,
    )
    assert "revoked" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert invitation.get_absolute_url() not in response.content.decode()


def test_invitation_link_lets_a_new_person_in(client, moderated):
    community, moderator, _ = moderated
    invitation = services.invitation_create(community=community, by=moderator)
    guest = UserFactory()
    client.force_login(guest)
    page = client.get(invitation.get_absolute_url())
    assert "Accept and join" in page.content.decode()
    response = client.post(invitation.get_absolute_url(), follow=True)
    assert f"Welcome to {community.name}" in response.content.decode()
    assert Membership.objects.get(user=guest).state == State.ACTIVE
    # A used-up invitation says so to the next person.
    client.force_login(UserFactory())
    page = client.get(invitation.get_absolute_url())
    assert "expired or was revoked" in page.content.decode()
    response = client.post(invitation.get_absolute_url(), follow=True)
    assert "expired or was revoked" in response.content.decode()


def test_anonymous_invitation_page_offers_login(client, moderated):
    community, moderator, _ = moderated
    client.logout()
    invitation = services.invitation_create(community=community, by=moderator)
    body = client.get(invitation.get_absolute_url()).content.decode()
    assert "Log in" in body and "Sign up" in body


def test_moderator_bans_from_members_page_and_lifts_ban(client, moderated):
    community, _, _ = moderated
    target = make_member(community, UserFactory(username="troll"))
    members_page = client.get(reverse("communities:members", args=[community.slug]))
    ban_url = reverse("communities:ban", args=[community.slug, target.pk])
    assert ban_url in members_page.content.decode()
    response = client.post(ban_url, {"reason": "spam"}, follow=True)
    assert "troll is banned" in response.content.decode()
    assert "Lift ban" in response.content.decode()
    target.refresh_from_db()
    assert target.state == State.BANNED
    response = client.post(
        reverse("communities:unban", args=[community.slug, target.pk]), follow=True
    )
    assert "ban on troll was lifted" in response.content.decode()
    target.refresh_from_db()
    assert target.state == State.LEFT
    kinds = list(MembershipEvent.objects.filter(membership=target).values_list("kind", flat=True))
    assert kinds == ["banned", "unbanned"]


def test_moderator_cannot_ban_another_moderator_through_the_page(client, moderated):
    community, _, _ = moderated
    other = make_member(community, role=Role.MODERATOR)
    response = client.post(reverse("communities:ban", args=[community.slug, other.pk]))
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.is_moderator


# --- profiles ----------------------------------------------------------------------------------


def test_profile_edit_saves_fields_and_expertise(client):
    user = UserFactory()
    group = ProfessionalGroup.objects.create(name="Nurses", slug="nurses")
    client.force_login(user)
    response = client.post(
        reverse("communities:profile_edit"),
        {
            "display_name": "Ana Peeters",
            "occupation": "Wound care nurse",
            "professional_group": group.pk,
            "organisation": "UZ Gent",
            "location": "Gent",
            "bio": "Twenty years on the ward.",
            "details_visible_to": "everyone",
            "expertise": "pressure ulcers, triage",
        },
        follow=True,
    )
    assert "Your profile was saved" in response.content.decode()
    user.profile.refresh_from_db()
    assert user.profile.display_name == "Ana Peeters"
    assert user.profile.professional_group == group
    assert sorted(t.name for t in user.profile.expertise.all()) == ["pressure ulcers", "triage"]
    edit = client.get(reverse("communities:profile_edit")).content.decode()
    assert "pressure ulcers" in edit and "triage" in edit


def test_profile_edit_errors_keep_typed_text(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("communities:profile_edit"),
        {
            "display_name": "N" * 81,
            "occupation": "Physics teacher",
            "bio": "What I typed stays.",
            "details_visible_to": "everyone",
            "expertise": "optics, " + "x" * 60,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "at most 80 characters" in body
    assert "50 characters at most" in body
    assert "Physics teacher" in body
    assert "What I typed stays." in body
    assert "optics" in body
    user.profile.refresh_from_db()
    assert user.profile.occupation == ""
    assert not user.profile.expertise.exists()


def test_profile_edit_needs_login(client):
    response = client.get(reverse("communities:profile_edit"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("visible_to", "viewer", "sees"),
    [
        ("everyone", "anon", True),
        ("communities", "anon", False),
        ("communities", "outsider", False),
        ("communities", "fellow", True),
        ("only_me", "fellow", False),
        ("only_me", "self", True),
    ],
)
def test_profile_page_details_follow_visibility(client, visible_to, viewer, sees):
    community = CommunityFactory()
    person = make_member(community).user
    services.profile_update(
        profile=person.profile,
        display_name="Ana",
        occupation="OCCUPATION-CANARY",
        bio="BIO-CANARY",
        details_visible_to=visible_to,
        expertise=["triage"],
    )
    if viewer == "outsider":
        client.force_login(UserFactory())
    elif viewer == "fellow":
        client.force_login(make_member(community).user)
    elif viewer == "self":
        client.force_login(person)
    response = client.get(reverse("communities:profile", args=[person.username]))
    assert response.status_code == 200
    body = response.content.decode()
    assert ("OCCUPATION-CANARY" in body) is sees
    assert ("BIO-CANARY" in body) is sees
    assert "Ana" in body  # the name is public
    assert ("triage" in body) is sees  # expertise follows the details
    assert ("Edit profile" in body) is (viewer == "self")


def test_profile_of_inactive_user_is_404(client):
    person = UserFactory(is_active=False)
    assert client.get(reverse("communities:profile", args=[person.username])).status_code == 404


# --- members page: ban buttons follow can_ban --------------------------------------------------


def test_members_page_offers_ban_where_can_ban_allows(client):
    community = CommunityFactory()
    moderator = make_member(community, role=Role.MODERATOR)
    other_moderator = make_member(community, role=Role.MODERATOR)
    member = make_member(community)
    url = reverse("communities:members", args=[community.slug])

    def ban_targets(user):
        client.force_login(user)
        page = client.get(url).content.decode()
        return {
            m.pk
            for m in (moderator, other_moderator, member)
            if reverse("communities:ban", args=[community.slug, m.pk]) in page
        }

    assert ban_targets(moderator.user) == {member.pk}
    admin = make_admin()
    assert ban_targets(admin) == {moderator.pk, other_moderator.pk, member.pk}
    for viewer in (moderator.user, admin, member.user):
        permissions.forget_memberships(viewer)
        expected = {
            m.pk for m in (moderator, other_moderator, member) if permissions.can_ban(viewer, m)
        }
        assert ban_targets(viewer) == expected
