"""Writes for communities, profiles, memberships and invitations."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from communities import membership_events, permissions
from communities.changes import member_changed
from communities.models import (
    Community,
    Invitation,
    Membership,
    MembershipEvent,
    ProfessionalGroup,
    Profile,
)
from core.markdown import render_markdown

User = get_user_model()
State = Membership.State
Role = Membership.Role
Kind = MembershipEvent.Kind


# --- communities and profiles ------------------------------------------------------------------


def community_save(*, community: Community, by=None) -> Community:
    """Create or update *community*, rendering its about text once, on save."""
    community.about_html = render_markdown(community.about)
    if community.pk is None and by is not None and by.is_authenticated:
        community.created_by = by
    community.full_clean(exclude=["created_by"])
    community.save()
    return community


def profile_for(user) -> Profile:
    """Return *user*'s profile, creating an empty one on first use."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def profile_update(*, profile: Profile, expertise: list[str] | None = None, **fields) -> Profile:
    allowed = {
        "display_name",
        "occupation",
        "professional_group",
        "organisation",
        "location",
        "bio",
        "details_visible_to",
        "dashboard_naming",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown profile fields: {sorted(unknown)}")
    with transaction.atomic():
        # As stored: a ModelForm has already set the new value on *profile*.
        naming_before = (
            Profile.objects.filter(pk=profile.pk).values_list("dashboard_naming", flat=True).first()
            if "dashboard_naming" in fields and profile.pk
            else None
        )
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save()
        if expertise is not None:
            profile.expertise.set(expertise, clear=True)
        if naming_before is not None and naming_before != profile.dashboard_naming:
            security_event_record(
                user_id=profile.user_id,
                kind=SecurityEvent.Kind.NAMING_CHANGED,
                detail=f"{Profile.Naming(naming_before).label} → "
                f"{profile.get_dashboard_naming_display()}",
            )
        member_changed(profile.user_id)
    return profile


def professional_group_get_or_create(*, name: str, slug: str, position: int = 0):
    group, _ = ProfessionalGroup.objects.get_or_create(
        slug=slug, defaults={"name": name, "position": position}
    )
    return group


# --- memberships -------------------------------------------------------------------------------


def _locked_membership(community: Community, user) -> Membership | None:
    """Return *user*'s membership row in *community*, locked, or None if there is none yet."""
    permissions.forget_memberships(user)
    return Membership.objects.select_for_update().filter(community=community, user=user).first()


def _new_membership(community: Community, user) -> Membership | None:
    """Insert *user*'s first membership row in *community*; the caller's transition sets its
    state. Return None when a concurrent request inserted it first: the caller starts over.

    The unique constraint plus the row lock make double submits and races harmless.
    """
    try:
        with transaction.atomic():
            membership = Membership.objects.create(community=community, user=user)
    except IntegrityError:
        return None
    membership.state = ""  # no state before its first transition (the event's from_state)
    return membership


def _transition(
    membership: Membership,
    *,
    kind: str,
    to_state: str | None = None,
    to_role: str | None = None,
    actor=None,
    message: str = "",
    at=None,
) -> Membership:
    now = at or timezone.now()
    event = MembershipEvent(
        membership=membership,
        community_id=membership.community_id,
        user_id=membership.user_id,
        kind=kind,
        from_state=membership.state,
        from_role=membership.role,
        actor=actor if actor is not None and actor.is_authenticated else None,
        message=message[:500],
        occurred_at=now,
    )
    if to_state is not None:
        if to_state == State.ACTIVE and membership.state != State.ACTIVE:
            membership.last_seen_at = None  # the first visit after joining shows the welcome
        membership.state = to_state
        if to_state == State.ACTIVE and membership.joined_at is None:
            membership.joined_at = now
    if to_role is not None:
        membership.role = to_role
    event.to_state = membership.state
    event.to_role = membership.role
    membership.save()
    event.save()
    permissions.forget_memberships(membership.user)
    member_changed(membership.user_id)  # every membership change passes here
    return membership


def membership_join(*, community: Community, user) -> Membership:
    """Join an open community at once. Joining twice is harmless."""
    with transaction.atomic():
        membership = _locked_membership(community, user)
        if membership is not None and membership.state == State.ACTIVE:
            return membership
        permissions.require_can_join(user=user, community=community)
        membership = membership or _new_membership(community, user)
        if membership is None:
            return membership_join(community=community, user=user)
        return _transition(membership, kind=Kind.JOINED, to_state=State.ACTIVE, actor=user)


# "Last visit" is written at most this often: one UPDATE per member and community every two
# minutes, not one per page view; "new since your last visit" is that coarse (what appeared
# within two minutes after a recorded visit still counts as new until the next one).
SEEN_EVERY = timedelta(minutes=2)


def membership_seen(*, membership: Membership | None, at=None) -> None:
    """Record that an active member opened the community (at most once per SEEN_EVERY)."""
    if membership is None or membership.state != State.ACTIVE:
        return
    now = at or timezone.now()
    if membership.last_seen_at is not None and now - membership.last_seen_at < SEEN_EVERY:
        return
    # A plain UPDATE of one column: no lock, no history row, and updated_at stays the time of
    # the last membership change.
    Membership.objects.filter(pk=membership.pk).update(last_seen_at=now)
    membership.last_seen_at = now


def membership_request(*, community: Community, user, message: str = "") -> Membership:
    """Ask to join a request-to-join or private community; moderators are told by email."""
    with transaction.atomic():
        membership = _locked_membership(community, user)
        if membership is not None and membership.state == State.PENDING:
            return membership
        permissions.require_can_request(user=user, community=community)
        membership = membership or _new_membership(community, user)
        if membership is None:
            return membership_request(community=community, user=user, message=message)
        membership.request_message = message[:500]
        _transition(
            membership, kind=Kind.REQUESTED, to_state=State.PENDING, actor=user, message=message
        )
        membership_events.join_requested(membership=membership)
    return membership


def membership_approve(*, membership: Membership, by, message: str = "") -> Membership:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        permissions.require_can_moderate(user=by, community=membership.community)
        if membership.state == State.ACTIVE:
            return membership
        if membership.state != State.PENDING:
            raise ValidationError("Only pending requests can be approved.")
        _transition(
            membership, kind=Kind.APPROVED, to_state=State.ACTIVE, actor=by, message=message
        )
        membership_events.membership_decided(membership=membership, approved=True, message=message)
    return membership


def membership_decline(*, membership: Membership, by, message: str = "") -> Membership:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        permissions.require_can_moderate(user=by, community=membership.community)
        if membership.state == State.DECLINED:
            return membership
        if membership.state != State.PENDING:
            raise ValidationError("Only pending requests can be declined.")
        _transition(
            membership, kind=Kind.DECLINED, to_state=State.DECLINED, actor=by, message=message
        )
        membership_events.membership_decided(membership=membership, approved=False, message=message)
    return membership


def membership_leave(*, community: Community, user) -> Membership:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(community=community, user=user).first()
        )
        if membership is None or membership.state in (State.LEFT, State.DECLINED):
            return membership
        permissions.require_can_leave(membership=membership)
        if membership.is_moderator and not (
            Membership.objects.filter(community=community, role=Role.MODERATOR, state=State.ACTIVE)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise ValidationError(
                "You are this community's only moderator. Ask an admin to appoint another "
                "moderator before you leave."
            )
        return _transition(
            membership, kind=Kind.LEFT, to_state=State.LEFT, to_role=Role.MEMBER, actor=user
        )


def membership_ban(*, membership: Membership, by, reason: str = "") -> Membership:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.state == State.BANNED:
            return membership
        permissions.require_can_ban(user=by, membership=membership)
        return _transition(
            membership,
            kind=Kind.BANNED,
            to_state=State.BANNED,
            to_role=Role.MEMBER,
            actor=by,
            message=reason,
        )


def membership_unban(*, membership: Membership, by) -> Membership:
    """Lift a ban. The person is not a member again until they join or are approved."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        permissions.require_can_moderate(user=by, community=membership.community)
        if membership.state != State.BANNED:
            return membership
        return _transition(membership, kind=Kind.UNBANNED, to_state=State.LEFT, actor=by)


def membership_set_role(*, membership: Membership, role: str, by) -> Membership:
    """Appoint or remove a moderator (admins only). A new moderator becomes an active member."""
    permissions.require_can_set_role(user=by)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == role and membership.state == State.ACTIVE:
            return membership
        if membership.state == State.BANNED:
            raise ValidationError("Unban this person before changing their role.")
        return _transition(
            membership, kind=Kind.ROLE_CHANGED, to_state=State.ACTIVE, to_role=role, actor=by
        )


def membership_appoint(*, community: Community, user, role: str, by) -> Membership:
    """Make *user* an active member with *role* (admin tool and demo)."""
    with transaction.atomic():
        membership = _locked_membership(community, user) or _new_membership(community, user)
    if membership is None:
        return membership_appoint(community=community, user=user, role=role, by=by)
    return membership_set_role(membership=membership, role=role, by=by)


def membership_import(*, community: Community, user, at, role: str = Role.MEMBER) -> Membership:
    """Make *user* an active member since *at* (an importer's placeholder for a person of the
    archive); a second call changes nothing."""
    with transaction.atomic():
        membership = _locked_membership(community, user)
        if membership is not None and membership.state == State.ACTIVE:
            return membership
        membership = membership or _new_membership(community, user)
        if membership is None:
            return membership_import(community=community, user=user, at=at, role=role)
        membership.created_at = at
        return _transition(membership, kind=Kind.JOINED, to_state=State.ACTIVE, to_role=role, at=at)


# --- invitations -------------------------------------------------------------------------------


def invitation_create(
    *, community: Community, by, note: str = "", max_uses: int = 1, days: int | None = None
) -> Invitation:
    permissions.require_can_moderate(user=by, community=community)
    days = days or settings.PRACTICA_INVITATION_DAYS
    invitation = Invitation(
        community=community,
        created_by=by,
        note=note,
        max_uses=max_uses,
        expires_at=timezone.now() + timedelta(days=days),
    )
    invitation.full_clean()
    invitation.save()
    return invitation


def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    permissions.require_can_moderate(user=by, community=invitation.community)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join through an invitation link; a second click by the same person is harmless."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        community = invitation.community
        membership = _locked_membership(community, user)
        if membership is not None and membership.state == State.ACTIVE:
            return membership
        permissions.require_can_accept_invitation(membership=membership)
        if not invitation.is_usable(timezone.now()):
            raise ValidationError("This invitation has expired or was revoked.")
        membership = membership or _new_membership(community, user)
        if membership is None:
            return invitation_accept(invitation=invitation, user=user)
        invitation.use_count += 1
        invitation.save(update_fields=["use_count"])
        return _transition(
            membership,
            kind=Kind.INVITED,
            to_state=State.ACTIVE,
            actor=user,
            message=f"Invitation {invitation.pk}",
        )


def membership_admin_update(*, membership: Membership, role: str, state: str, by) -> Membership:
    """Apply an admin's edit of role and state, keeping the history."""
    permissions.require_can_edit_membership(user=by)
    if role == Role.MODERATOR and state != State.ACTIVE:
        raise ValidationError("A moderator must be an active member: set the state to Active.")
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if current.state == state and current.role == role:
            return current
        kind = {
            State.ACTIVE: Kind.APPROVED if current.state == State.PENDING else Kind.JOINED,
            State.LEFT: Kind.UNBANNED if current.state == State.BANNED else Kind.LEFT,
            State.BANNED: Kind.BANNED,
            State.DECLINED: Kind.DECLINED,
            State.PENDING: Kind.REQUESTED,
        }[state]
        if current.state == state:
            kind = Kind.ROLE_CHANGED
        return _transition(
            current, kind=kind, to_state=state, to_role=role, actor=by, message="Edited in admin"
        )
