"""Who may see or do what in the library: items, revisions, attachments, evidence, curation,
promotion of discussions, content health and experts.

Built on ``communities.permissions`` (roles, visibility, membership). Each ``require_*`` check
raises the refusal of its ``can_*`` twin, which templates read.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from communities.models import Community
from communities.permissions import (
    access_community_content,
    access_community_moderation,
    can_moderate,
    can_post,
    can_view_content,
    is_active_member,
    readable_communities_q,
)
from knowledge.models import ChangeProposal, CurationEvent, Item, ItemAttachment
from practice.models import Post

# --- items and curation --------------------------------------------------------------------------
# Readers see published items (and archived ones by their address, which point to a successor);
# a proposer also sees their own proposals in any state; moderators see every state. Members
# propose items and changes; moderators publish, ask for changes, feature, archive and restore.


def can_curate(user, community: Community) -> bool:
    """Publish, ask for changes, feature, archive, restore revisions: moderators' work."""
    return can_moderate(user, community)


def require_can_curate(*, user, community: Community) -> None:
    if not can_curate(user, community):
        raise PermissionDenied("Only this community's moderators curate its library.")


def items_visible_to(user, community: Community):
    """Items of *community* that *user* may open (the library lists only the published ones)."""
    if not can_view_content(user, community):
        return Item.objects.none()
    qs = Item.objects.filter(community=community)
    if can_curate(user, community):
        return qs
    # An archived item stays readable only if it was once published (old links lead on to its
    # successor); a proposal archived unpublished stays as private as it was.
    readable = Q(state=Item.State.PUBLISHED) | Q(
        state=Item.State.ARCHIVED, published_at__isnull=False
    )
    if user.is_authenticated:
        readable |= Q(proposed_by=user)
    return qs.filter(readable)


def can_open_item(user, item: Item, community: Community) -> bool:
    """May *user* open *item*, loaded already, of *community*? ``items_visible_to`` for one
    item (``tests/knowledge/test_items_permissions.py`` keeps the two equal)."""
    if item.community_id != community.pk or not can_view_content(user, community):
        return False
    if can_curate(user, community):
        return True
    if item.state == Item.State.PUBLISHED:
        return True
    if item.state == Item.State.ARCHIVED and item.published_at is not None:
        return True
    return user.is_authenticated and item.proposed_by_id == user.pk


def readable_items(user):
    """Published items across every community *user* may read (search, feeds, profiles)."""
    return Item.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        state=Item.State.PUBLISHED
    )


def access_item(*, user, slug: str, item_id) -> Item:
    """Return an item *user* may open; hidden, foreign or missing ones are a 404."""
    community = access_community_content(user=user, slug=slug)
    item = (
        items_visible_to(user, community)
        .select_related("community", "proposed_by__profile", "superseded_by")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    item.community = community  # the same row: spares a query per permission check
    return item


def can_propose_item(user, community: Community) -> bool:
    return can_post(user, community)


def require_can_propose_item(*, user, community: Community) -> None:
    if not can_propose_item(user, community):
        raise PermissionDenied("Only active members can propose items for the library.")


def can_edit_item(user, item) -> bool:
    """Moderators edit any item directly; a proposer edits their own proposal until it is
    published (after that, members propose changes)."""
    if can_curate(user, item.community):
        return True
    return (
        user.is_authenticated
        and item.proposed_by_id == user.pk
        and item.state in (Item.State.PROPOSED, Item.State.CHANGES_REQUESTED)
        and can_post(user, item.community)
    )


def require_can_edit_item(*, user, item) -> None:
    if not can_edit_item(user, item):
        raise PermissionDenied("You cannot edit this item.")


def can_propose_change(user, item) -> bool:
    """Members propose changes to published items (moderators just edit)."""
    return (
        item.state == Item.State.PUBLISHED
        and can_post(user, item.community)
        and not can_curate(user, item.community)
    )


def require_can_propose_change(*, user, item) -> None:
    if not can_propose_change(user, item):
        raise PermissionDenied("Only members propose changes, and only to published items.")


def can_manage_attachments(user, item) -> bool:
    """Attach or remove files: whoever may edit the item directly."""
    return can_edit_item(user, item)


def require_can_attach_files(*, user, item) -> None:
    if not can_manage_attachments(user, item):
        raise PermissionDenied("You cannot attach files to this item.")


def require_can_remove_files(*, user, item) -> None:
    if not can_manage_attachments(user, item):
        raise PermissionDenied("You cannot remove files from this item.")


def access_attachment(*, user, slug: str, item_id, attachment_id) -> ItemAttachment:
    """Return an attachment of an item *user* may open; anything else is a 404."""
    item = access_item(user=user, slug=slug, item_id=item_id)
    attachment = item.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    attachment.item = item
    return attachment


def change_proposals_visible_to(user, item):
    """Change proposals of *item*: all for moderators, one's own for members."""
    if can_curate(user, item.community):
        return ChangeProposal.objects.filter(item=item)
    if not user.is_authenticated:
        return ChangeProposal.objects.none()
    return ChangeProposal.objects.filter(item=item, proposed_by=user)


def access_change_proposal(*, user, slug: str, item_id, proposal_id) -> ChangeProposal:
    """Return a change proposal its proposer or a moderator may open; others get a 404."""
    item = access_item(user=user, slug=slug, item_id=item_id)
    proposal = (
        change_proposals_visible_to(user, item)
        .select_related("proposed_by__profile", "decided_by__profile")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise Http404("No such change proposal.")
    proposal.item = item
    return proposal


def can_see_curation_comment(user, event, item) -> bool:
    """May *user*, who may open *item*, see the comment of *event*, an entry of its log?

    The log is part of the item's page, but some comments are a conversation between the
    moderators and one member: a change proposal's note and the moderators' answers to it
    (the proposer reads those on the proposal's page), and what a moderator tells the proposer
    of a new item before its first publication (sent back, declined by archiving). Those are
    for the moderators and the member; every other comment is for every reader of the item.
    """
    Action = CurationEvent.Action
    # An item is sent back or declined only as a proposal, and a published item never becomes
    # a proposal again: what precedes the first publication was said to its proposer.
    to_the_proposer = event.action in (Action.CHANGES_REQUESTED, Action.ARCHIVED) and (
        item.published_at is None or event.created_at < item.published_at
    )
    about_a_change = event.action in (
        Action.CHANGE_PROPOSED,
        Action.CHANGE_ACCEPTED,
        Action.CHANGE_DECLINED,
        Action.CHANGES_REQUESTED,
    )
    if not (to_the_proposer or about_a_change) or can_curate(user, item.community):
        return True
    if not user.is_authenticated:
        return False
    return event.actor_id == user.pk or (to_the_proposer and item.proposed_by_id == user.pk)


def can_edit_change_proposal(user, proposal) -> bool:
    """The proposer revises or withdraws their own open proposal while they may post."""
    return (
        user.is_authenticated
        and proposal.proposed_by_id == user.pk
        and proposal.is_open
        and can_post(user, proposal.item.community)
    )


def can_withdraw_change_proposal(user, proposal) -> bool:
    """Only its proposer withdraws a change proposal (moderators decline it instead)."""
    return user.is_authenticated and proposal.proposed_by_id == user.pk


def require_can_withdraw_change_proposal(*, user, proposal) -> None:
    if not can_withdraw_change_proposal(user, proposal):
        raise PermissionDenied("Only the proposer can withdraw a change proposal.")


# --- evidence, promotion, health, experts --------------------------------------------------------
# "I used this" reports come from active members about published items; promotion and the
# content-health queue are moderators' work; "who knows what" is community content (a private
# community's experts are for its members only).


def can_report_evidence(user, item) -> bool:
    """May *user* say how *item* went in their own practice (active members, published items)?"""
    return bool(
        user.is_authenticated
        and item.state == Item.State.PUBLISHED
        and is_active_member(user, item.community)
    )


def require_can_report_evidence(*, user, item) -> None:
    if not can_report_evidence(user, item):
        raise PermissionDenied("Only active members report on published items.")


def can_see_evidence(user, item) -> bool:
    """Evidence is part of an item's page: whoever may read the community may read it."""
    return can_view_content(user, item.community)


def can_promote(user, source) -> bool:
    """May *user* turn *source* (a thread or a post) into a proposed repertoire item?

    Moderators only, and only visible content: a hidden post must not reach the library.
    """
    if not user.is_authenticated or not can_moderate(user, source.community):
        return False
    if isinstance(source, Post):
        return not source.is_hidden and not source.thread.is_hidden
    return not source.is_hidden


def require_can_promote(*, user, source) -> None:
    if not can_promote(user, source):
        raise PermissionDenied("Only this community's moderators turn discussions into items.")


def access_health(*, user, slug: str) -> Community:
    """The content-health queue is moderation: 404 when hidden, 403 for non-moderators."""
    return access_community_moderation(user=user, slug=slug)


def can_view_experts(user, community: Community) -> bool:
    """Who knows what is community content (derived from threads and items)."""
    return can_view_content(user, community)


def access_experts(*, user, slug: str) -> Community:
    return access_community_content(user=user, slug=slug)
