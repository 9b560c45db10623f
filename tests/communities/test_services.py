"""Membership and invitation services: state changes, their history, idempotence and email."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from communities import services
from communities.models import Invitation, Membership, MembershipEvent
from tests.factories import CommunityFactory, UserFactory, make_admin, make_member

pytestmark = pytest.mark.django_db

State = Membership.State
Role = Membership.Role
Kind = MembershipEvent.Kind


def _events(membership):
    return list(
        MembershipEvent.objects.filter(membership=membership)
        .order_by("occurred_at", "pk")
        .values_list("kind", "from_state", "to_state", "from_role", "to_role", "actor_id")
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the after-commit callbacks (email tasks, eager in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- join --------------------------------------------------------------------------------------


def test_membership_join_open_community_activates_and_logs(open_community, user):
    before = timezone.now()
    membership = services.membership_join(community=open_community, user=user)
    assert membership.state == State.ACTIVE
    assert membership.role == Role.MEMBER
    assert membership.joined_at >= before
    assert _events(membership) == [
        (Kind.JOINED, "", State.ACTIVE, Role.MEMBER, Role.MEMBER, user.pk)
    ]
    event = MembershipEvent.objects.get(membership=membership)
    assert event.community == open_community
    assert event.user == user
    assert before <= event.occurred_at <= timezone.now()


def test_membership_join_twice_makes_one_membership_and_one_event(open_community, user):
    services.membership_join(community=open_community, user=user)
    services.membership_join(community=open_community, user=user)
    assert Membership.objects.filter(community=open_community, user=user).count() == 1
    assert MembershipEvent.objects.filter(user=user).count() == 1


def test_membership_join_refused_on_request_and_private(request_community, private_community):
    user = UserFactory()
    for community in (request_community, private_community):
        with pytest.raises(PermissionDenied):
            services.membership_join(community=community, user=user)
    assert not Membership.objects.filter(user=user).exists()
    assert not MembershipEvent.objects.filter(user=user).exists()


def test_membership_join_refused_when_banned(open_community):
    banned = make_member(open_community, state=State.BANNED)
    with pytest.raises(PermissionDenied):
        services.membership_join(community=open_community, user=banned.user)
    banned.refresh_from_db()
    assert banned.state == State.BANNED


def test_membership_join_after_leaving_keeps_first_joined_at(open_community, user):
    first = services.membership_join(community=open_community, user=user)
    joined_at = first.joined_at
    services.membership_leave(community=open_community, user=user)
    again = services.membership_join(community=open_community, user=user)
    assert again.joined_at == joined_at
    assert [e[0] for e in _events(again)] == [Kind.JOINED, Kind.LEFT, Kind.JOINED]
    assert _events(again)[2][1:3] == (State.LEFT, State.ACTIVE)


# --- request, approve, decline -----------------------------------------------------------------


def test_membership_request_logs_and_emails_moderators(request_community, committed):
    moderator = make_member(request_community, role=Role.MODERATOR).user
    other_moderator = make_member(request_community, role=Role.MODERATOR).user
    make_member(request_community)  # a member is not told
    applicant = UserFactory()
    with committed():
        membership = services.membership_request(
            community=request_community, user=applicant, message="I teach physics in Ghent."
        )
    mailbox = mail.outbox
    assert membership.state == State.PENDING
    assert membership.request_message == "I teach physics in Ghent."
    assert _events(membership) == [
        (Kind.REQUESTED, "", State.PENDING, Role.MEMBER, Role.MEMBER, applicant.pk)
    ]
    assert len(mailbox) == 1
    assert sorted(mailbox[0].to) == sorted([moderator.email, other_moderator.email])
    assert applicant.username in mailbox[0].subject
    assert "I teach physics in Ghent." in mailbox[0].body
    assert f"/c/{request_community.slug}/moderate/" in mailbox[0].body


def test_membership_request_twice_is_one_request_and_one_email(private_community, committed):
    make_member(private_community, role=Role.MODERATOR)
    applicant = UserFactory()
    with committed():
        services.membership_request(community=private_community, user=applicant)
    with committed():
        services.membership_request(community=private_community, user=applicant)
    mailbox = mail.outbox
    assert Membership.objects.filter(user=applicant).count() == 1
    assert MembershipEvent.objects.filter(user=applicant).count() == 1
    assert len(mailbox) == 1


def test_membership_request_refused_on_open_community_and_for_members(open_community):
    with pytest.raises(PermissionDenied):
        services.membership_request(community=open_community, user=UserFactory())
    community = CommunityFactory(visibility="request")
    member = make_member(community)
    with pytest.raises(PermissionDenied):
        services.membership_request(community=community, user=member.user)
    member.refresh_from_db()
    assert member.state == State.ACTIVE


def test_membership_request_message_is_cut_to_500(request_community):
    membership = services.membership_request(
        community=request_community, user=UserFactory(), message="x" * 600
    )
    assert len(membership.request_message) == 500


def test_membership_approve_activates_logs_and_emails_applicant(request_community, committed):
    moderator = make_member(request_community, role=Role.MODERATOR).user
    applicant = UserFactory()
    pending = services.membership_request(community=request_community, user=applicant)
    with committed():
        approved = services.membership_approve(membership=pending, by=moderator, message="Welcome!")
    mailbox = mail.outbox
    assert approved.state == State.ACTIVE
    assert approved.joined_at is not None
    assert _events(approved)[-1] == (
        Kind.APPROVED,
        State.PENDING,
        State.ACTIVE,
        Role.MEMBER,
        Role.MEMBER,
        moderator.pk,
    )
    assert MembershipEvent.objects.filter(membership=approved).last().message == "Welcome!"
    assert len(mailbox) == 1
    assert mailbox[0].to == [applicant.email]
    assert "Welcome!" in mailbox[0].body
    assert "approved" in mailbox[0].body


def test_membership_approve_twice_is_harmless(request_community, committed):
    moderator = make_member(request_community, role=Role.MODERATOR).user
    pending = services.membership_request(community=request_community, user=UserFactory())
    with committed():
        services.membership_approve(membership=pending, by=moderator)
    assert len(mail.outbox) == 1
    with committed():
        again = services.membership_approve(membership=pending, by=moderator)
    assert again.state == State.ACTIVE
    assert [e[0] for e in _events(pending)] == [Kind.REQUESTED, Kind.APPROVED]
    assert len(mail.outbox) == 1


def test_membership_decline_logs_and_emails_applicant(private_community, committed):
    moderator = make_member(private_community, role=Role.MODERATOR).user
    applicant = UserFactory()
    pending = services.membership_request(community=private_community, user=applicant)
    with committed():
        declined = services.membership_decline(membership=pending, by=moderator, message="Sorry")
    mailbox = mail.outbox
    assert declined.state == State.DECLINED
    assert declined.joined_at is None
    assert _events(declined)[-1][:3] == (Kind.DECLINED, State.PENDING, State.DECLINED)
    assert _events(declined)[-1][5] == moderator.pk
    assert len(mailbox) == 1
    assert mailbox[0].to == [applicant.email]
    assert "declined" in mailbox[0].body
    # Declining again changes nothing; a declined person may ask again.
    services.membership_decline(membership=pending, by=moderator)
    assert MembershipEvent.objects.filter(kind=Kind.DECLINED).count() == 1
    again = services.membership_request(community=private_community, user=applicant)
    assert again.state == State.PENDING


def test_membership_approve_and_decline_need_a_moderator(request_community):
    pending = services.membership_request(community=request_community, user=UserFactory())
    member = make_member(request_community).user
    with pytest.raises(PermissionDenied):
        services.membership_approve(membership=pending, by=member)
    with pytest.raises(PermissionDenied):
        services.membership_decline(membership=pending, by=member)
    pending.refresh_from_db()
    assert pending.state == State.PENDING
    # An admin may decide without being a member.
    assert services.membership_approve(membership=pending, by=make_admin()).is_active


def test_membership_approve_refuses_what_is_not_pending(request_community):
    moderator = make_member(request_community, role=Role.MODERATOR).user
    banned = make_member(request_community, state=State.BANNED)
    with pytest.raises(ValidationError):
        services.membership_approve(membership=banned, by=moderator)
    with pytest.raises(ValidationError):
        services.membership_decline(membership=make_member(request_community), by=moderator)


# --- leave -------------------------------------------------------------------------------------


def test_membership_leave_logs_and_drops_role(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR)
    make_member(open_community, role=Role.MODERATOR)
    left = services.membership_leave(community=open_community, user=moderator.user)
    assert left.state == State.LEFT
    assert left.role == Role.MEMBER
    assert _events(left) == [
        (Kind.LEFT, State.ACTIVE, State.LEFT, Role.MODERATOR, Role.MEMBER, moderator.user.pk)
    ]


def test_membership_leave_twice_is_one_event(open_community, user):
    services.membership_join(community=open_community, user=user)
    services.membership_leave(community=open_community, user=user)
    services.membership_leave(community=open_community, user=user)
    assert MembershipEvent.objects.filter(user=user, kind=Kind.LEFT).count() == 1


def test_membership_leave_withdraws_a_pending_request(request_community, user):
    services.membership_request(community=request_community, user=user)
    left = services.membership_leave(community=request_community, user=user)
    assert left.state == State.LEFT


def test_membership_leave_refused_for_the_only_moderator(open_community):
    only = make_member(open_community, role=Role.MODERATOR)
    with pytest.raises(ValidationError):
        services.membership_leave(community=open_community, user=only.user)
    only.refresh_from_db()
    assert only.is_moderator
    assert not MembershipEvent.objects.filter(membership=only).exists()


def test_membership_leave_refused_when_banned(open_community):
    banned = make_member(open_community, state=State.BANNED)
    with pytest.raises(PermissionDenied):
        services.membership_leave(community=open_community, user=banned.user)


def test_membership_leave_without_membership_is_harmless(open_community, user):
    assert services.membership_leave(community=open_community, user=user) is None
    assert not Membership.objects.filter(user=user).exists()


# --- ban and unban -----------------------------------------------------------------------------


def test_membership_ban_and_unban_log_with_actor(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR).user
    member = make_member(open_community)
    banned = services.membership_ban(membership=member, by=moderator, reason="spam")
    assert banned.state == State.BANNED
    unbanned = services.membership_unban(membership=member, by=moderator)
    assert unbanned.state == State.LEFT  # not a member again until they rejoin
    assert _events(member) == [
        (Kind.BANNED, State.ACTIVE, State.BANNED, Role.MEMBER, Role.MEMBER, moderator.pk),
        (Kind.UNBANNED, State.BANNED, State.LEFT, Role.MEMBER, Role.MEMBER, moderator.pk),
    ]
    assert MembershipEvent.objects.get(kind=Kind.BANNED).message == "spam"


def test_membership_ban_twice_is_one_event(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR).user
    member = make_member(open_community)
    services.membership_ban(membership=member, by=moderator)
    services.membership_ban(membership=member, by=moderator)
    services.membership_unban(membership=member, by=moderator)
    services.membership_unban(membership=member, by=moderator)
    assert [e[0] for e in _events(member)] == [Kind.BANNED, Kind.UNBANNED]


def test_membership_ban_moderator_only_by_staff(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR)
    other = make_member(open_community, role=Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        services.membership_ban(membership=other, by=moderator.user)
    other.refresh_from_db()
    assert other.is_moderator
    banned = services.membership_ban(membership=other, by=make_admin())
    assert banned.state == State.BANNED
    assert banned.role == Role.MEMBER


def test_membership_ban_nobody_bans_themselves(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        services.membership_ban(membership=moderator, by=moderator.user)
    admin = make_admin()
    admin_membership = make_member(open_community, admin)
    with pytest.raises(PermissionDenied):
        services.membership_ban(membership=admin_membership, by=admin)


def test_membership_ban_and_unban_need_a_moderator(open_community):
    member = make_member(open_community)
    other = make_member(open_community)
    with pytest.raises(PermissionDenied):
        services.membership_ban(membership=other, by=member.user)
    banned = make_member(open_community, state=State.BANNED)
    with pytest.raises(PermissionDenied):
        services.membership_unban(membership=banned, by=member.user)


# --- roles -------------------------------------------------------------------------------------


def test_membership_set_role_by_admin_logs_role_change(open_community):
    admin = make_admin()
    member = make_member(open_community)
    promoted = services.membership_set_role(membership=member, role=Role.MODERATOR, by=admin)
    assert promoted.is_moderator
    assert _events(member) == [
        (Kind.ROLE_CHANGED, State.ACTIVE, State.ACTIVE, Role.MEMBER, Role.MODERATOR, admin.pk)
    ]
    services.membership_set_role(membership=member, role=Role.MODERATOR, by=admin)
    assert MembershipEvent.objects.filter(membership=member).count() == 1


def test_membership_set_role_refused_for_non_admins_and_banned(open_community):
    moderator = make_member(open_community, role=Role.MODERATOR).user
    member = make_member(open_community)
    with pytest.raises(PermissionDenied):
        services.membership_set_role(membership=member, role=Role.MODERATOR, by=moderator)
    banned = make_member(open_community, state=State.BANNED)
    with pytest.raises(ValidationError):
        services.membership_set_role(membership=banned, role=Role.MODERATOR, by=make_admin())


def test_membership_appoint_new_person_makes_active_moderator(private_community):
    admin = make_admin()
    user = UserFactory()
    membership = services.membership_appoint(
        community=private_community, user=user, role=Role.MODERATOR, by=admin
    )
    assert membership.is_moderator
    assert Membership.objects.filter(user=user).count() == 1
    assert _events(membership)[-1][0] == Kind.ROLE_CHANGED
    assert _events(membership)[-1][2] == State.ACTIVE


# --- invitations -------------------------------------------------------------------------------


@pytest.fixture
def invitation(private_community):
    moderator = make_member(private_community, role=Role.MODERATOR).user
    return services.invitation_create(
        community=private_community, by=moderator, note="for Ana", max_uses=2
    )


def test_invitation_create_needs_a_moderator(private_community, settings):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            community=private_community, by=make_member(private_community).user
        )
    moderator = make_member(private_community, role=Role.MODERATOR).user
    invitation = services.invitation_create(community=private_community, by=moderator)
    expected = timezone.now() + timedelta(days=settings.PRACTICA_INVITATION_DAYS)
    assert abs(invitation.expires_at - expected) < timedelta(seconds=5)
    assert len(invitation.token) >= 30
    assert invitation.created_by == moderator


def test_invitation_accept_joins_and_logs(invitation):
    user = UserFactory()
    membership = services.invitation_accept(invitation=invitation, user=user)
    assert membership.state == State.ACTIVE
    assert _events(membership) == [
        (Kind.INVITED, "", State.ACTIVE, Role.MEMBER, Role.MEMBER, user.pk)
    ]
    invitation.refresh_from_db()
    assert invitation.use_count == 1


def test_invitation_accept_twice_by_same_user_uses_it_once(invitation):
    user = UserFactory()
    services.invitation_accept(invitation=invitation, user=user)
    services.invitation_accept(invitation=invitation, user=user)
    invitation.refresh_from_db()
    assert invitation.use_count == 1
    assert MembershipEvent.objects.filter(user=user).count() == 1


def test_invitation_accept_turns_a_pending_request_into_membership(invitation):
    user = UserFactory()
    services.membership_request(community=invitation.community, user=user)
    membership = services.invitation_accept(invitation=invitation, user=user)
    assert _events(membership)[-1][:3] == (Kind.INVITED, State.PENDING, State.ACTIVE)


def test_invitation_accept_refused_when_used_up(invitation):
    services.invitation_accept(invitation=invitation, user=UserFactory())
    services.invitation_accept(invitation=invitation, user=UserFactory())
    late = UserFactory()
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=late)
    assert not Membership.objects.filter(user=late).exists()
    invitation.refresh_from_db()
    assert invitation.use_count == 2


def test_invitation_accept_refused_when_expired(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=user)
    assert not Membership.objects.filter(user=user).exists()


def test_invitation_revoke_refuses_later_use_and_is_idempotent(invitation):
    moderator = invitation.created_by
    services.invitation_revoke(invitation=invitation, by=moderator)
    revoked_at = Invitation.objects.get(pk=invitation.pk).revoked_at
    assert revoked_at is not None
    services.invitation_revoke(invitation=invitation, by=moderator)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at == revoked_at
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=UserFactory())


def test_invitation_revoke_needs_a_moderator(invitation):
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, by=UserFactory())
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_invitation_accept_refused_when_banned(invitation):
    banned = make_member(invitation.community, state=State.BANNED)
    with pytest.raises(PermissionDenied):
        services.invitation_accept(invitation=invitation, user=banned.user)
    invitation.refresh_from_db()
    assert invitation.use_count == 0


# --- admin edits -------------------------------------------------------------------------------


def test_membership_admin_update_keeps_history(open_community):
    admin = make_admin()
    pending = make_member(open_community, state=State.PENDING)
    services.membership_admin_update(
        membership=pending, role=Role.MODERATOR, state=State.ACTIVE, by=admin
    )
    services.membership_admin_update(
        membership=pending, role=Role.MEMBER, state=State.ACTIVE, by=admin
    )
    services.membership_admin_update(
        membership=pending, role=Role.MEMBER, state=State.ACTIVE, by=admin
    )
    assert _events(pending) == [
        (Kind.APPROVED, State.PENDING, State.ACTIVE, Role.MEMBER, Role.MODERATOR, admin.pk),
        (Kind.ROLE_CHANGED, State.ACTIVE, State.ACTIVE, Role.MODERATOR, Role.MEMBER, admin.pk),
    ]
    with pytest.raises(PermissionDenied):
        services.membership_admin_update(
            membership=pending, role=Role.MEMBER, state=State.LEFT, by=UserFactory()
        )


# --- profiles ----------------------------------------------------------------------------------


def test_profile_update_saves_fields_and_expertise(user):
    profile = services.profile_for(user)
    services.profile_update(profile=profile, display_name="Ana", expertise=["triage", "wound care"])
    profile.refresh_from_db()
    assert profile.display_name == "Ana"
    assert sorted(t.name for t in profile.expertise.all()) == ["triage", "wound care"]
    with pytest.raises(TypeError):
        services.profile_update(profile=profile, user=UserFactory())
