"""Repertoire items: propose, edit (every edit is a revision), and members' change proposals.

Every write locks the item row, so revision numbers, states and credits stay consistent however
requests race; a double-submitted proposal makes one item (submission key), a second proposal
of a change updates the member's open one, and an edit that changes nothing writes nothing.
Each new revision logs a symmetric ``co_edit`` group among the item's distinct editors so far
(``knowledge.interaction_sources.co_edit_source`` regenerates exactly those rows).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities.interactions import group_specs, interactions_write
from communities.models import Interaction
from core.markdown import render_markdown
from knowledge import permissions
from knowledge.changes import item_changed
from knowledge.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ChangeProposal,
    CurationEvent,
    Item,
    ItemContributor,
    ItemLink,
    ItemRevision,
)

Action = CurationEvent.Action
Role = ItemContributor.Role
MAX_TAGS = 8
TAG_MAX_LENGTH = 50
MAX_LINKS = 10
LINK_URL_MAX_LENGTH = ItemLink._meta.get_field("url").max_length
LINK_LABEL_MAX_LENGTH = ItemLink._meta.get_field("label").max_length
REVISION_COMMENT_MAX_LENGTH = ItemRevision._meta.get_field("comment").max_length
OPEN_CHANGE_STATES = (ChangeProposal.State.PENDING, ChangeProposal.State.CHANGES_REQUESTED)


@dataclass(frozen=True)
class ItemContent:
    """The editable content of an item: what a revision or a change proposal holds."""

    kind: str
    title: str
    summary: str
    body: str
    tag_names: tuple[str, ...]

    @classmethod
    def of(cls, obj, tag_names: Iterable[str]) -> "ItemContent":
        return cls(obj.kind, obj.title, obj.summary, obj.body, tuple(sorted(tag_names)))


# --- cleaning ----------------------------------------------------------------------------------


def _has_unstorable(value: str) -> bool:
    # The middleware rejects NUL at the edge; services are also called from tasks and the shell.
    return "\x00" in value


def clean_tag_names(tag_names) -> list[str]:
    if isinstance(tag_names, str):
        tag_names = tag_names.split(",")
    cleaned = []
    for name in tag_names or ():
        name = " ".join(str(name).split()).lower()
        if name and name not in cleaned:
            cleaned.append(name)
    if any(len(name) > TAG_MAX_LENGTH for name in cleaned):
        raise ValidationError({"tags": f"Keep each tag under {TAG_MAX_LENGTH} characters."})
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"Use at most {MAX_TAGS} tags."})
    return cleaned


def clean_content(*, kind, title, summary, body, tag_names) -> ItemContent:
    """Validate and normalise an item's content; every problem is reported at once."""
    errors = {}
    kind = kind or ""
    title = " ".join((title or "").split())
    # One paragraph: line breaks in the summary are folded into spaces.
    summary = " ".join((summary or "").split())
    body = (body or "").strip()
    if kind not in Item.Kind.values:
        errors["kind"] = "Choose what kind of item this is."
    if not title:
        errors["title"] = "Give the item a title."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Keep the title under {TITLE_MAX_LENGTH} characters."
    if not summary:
        errors["summary"] = "Write a one-paragraph summary: what it is and when it helps."
    elif len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = (
            f"That is {len(summary):,} characters; keep the summary under {SUMMARY_MAX_LENGTH:,}."
        )
    if len(body) > BODY_MAX_LENGTH:
        errors["body"] = f"That is {len(body):,} characters; the limit is {BODY_MAX_LENGTH:,}."
    for name, value in (("title", title), ("summary", summary), ("body", body)):
        if _has_unstorable(value):
            errors[name] = "Remove the NUL character; it cannot be stored."
    try:
        tags = clean_tag_names(tag_names)
    except ValidationError as error:
        errors.update(error.message_dict)
        tags = []
    if errors:
        raise ValidationError(errors)
    # Sorted, so that two versions with the same tags compare equal.
    return ItemContent(kind, title, summary, body, tuple(sorted(tags)))


def clean_links(links) -> list[tuple[str, str]]:
    """Validate ``(url, label)`` pairs: http(s) only, no duplicates, at most MAX_LINKS."""
    validate = URLValidator(schemes=["http", "https"])
    cleaned, seen = [], set()
    for url, label in links or ():
        url, label = (url or "").strip(), " ".join((label or "").split())
        if not url or url in seen:
            continue
        if len(url) > LINK_URL_MAX_LENGTH or _has_unstorable(url + label):
            raise ValidationError({"links": f"This address is not usable: {url[:80]}"})
        try:
            validate(url)
        except ValidationError:
            raise ValidationError(
                {"links": f"“{url[:80]}” is not a web address (start it with https://)."}
            ) from None
        seen.add(url)
        cleaned.append((url, label[:LINK_LABEL_MAX_LENGTH]))
    if len(cleaned) > MAX_LINKS:
        raise ValidationError({"links": f"Add at most {MAX_LINKS} links."})
    return cleaned


def clean_comment(comment: str, *, field: str = "comment", required: bool = False) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ValidationError({field: "Say what should change, so the proposer knows."})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({field: f"Keep it under {COMMENT_MAX_LENGTH:,} characters."})
    if _has_unstorable(comment):
        raise ValidationError({field: "Remove the NUL character; it cannot be stored."})
    return comment


# --- shared steps (inside the caller's transaction) ----------------------------------------------


def lock_item(item: Item) -> Item:
    """Re-read *item* under a row lock (the one place writes serialise on)."""
    locked = Item.objects.select_for_update().get(pk=item.pk)
    locked.community = item.community  # the same row: spares a query per permission check
    return locked


def current_content(item: Item) -> ItemContent:
    return ItemContent.of(item, item.tags.names())


def record_event(*, item: Item, actor, action: str, comment: str = "", at=None) -> CurationEvent:
    return CurationEvent.objects.create(
        item=item, actor=actor, action=action, comment=comment, created_at=at or timezone.now()
    )


def credit(*, item: Item, user, role: str, at) -> None:
    """Credit *user* on *item* once (an existing credit keeps its first role)."""
    if user is not None:
        ItemContributor.objects.get_or_create(
            item=item, user=user, defaults={"role": role, "added_at": at}
        )


def _set_links(item: Item, links: Sequence[tuple[str, str]]) -> None:
    item.links.all().delete()
    ItemLink.objects.bulk_create(
        ItemLink(item=item, url=url, label=label, position=index)
        for index, (url, label) in enumerate(links)
    )


def _current_links(item: Item) -> list[tuple[str, str]]:
    return list(item.links.order_by("position", "pk").values_list("url", "label"))


def write_revision(*, item: Item, content: ItemContent, editor, comment: str, at) -> ItemRevision:
    """Make *content* the item's current version: a new revision, the item's fields, its tags,
    and the co-edit interactions among its editors. The caller holds the item's lock and saves
    the item."""
    number = item.revision_count + 1
    revision = ItemRevision.objects.create(
        item=item,
        number=number,
        kind=content.kind,
        title=content.title,
        summary=content.summary,
        body=content.body,
        tag_names=list(content.tag_names),
        editor=editor,
        comment=comment[:REVISION_COMMENT_MAX_LENGTH],
        created_at=at,
    )
    item.revision_count = number
    item.kind, item.title, item.summary = content.kind, content.title, content.summary
    item.body, item.body_html = content.body, render_markdown(content.body)
    item.updated_at = at
    item.tags.set(list(content.tag_names), clear=False)
    log_co_edit(item=item, revision=revision)
    return revision


def co_edit_editor_ids(*, item_id: int, up_to: int) -> list[int]:
    return sorted(
        set(
            ItemRevision.objects.filter(
                item_id=item_id, number__lte=up_to, editor__isnull=False
            ).values_list("editor_id", flat=True)
        )
    )


def log_co_edit(*, item: Item, revision: ItemRevision) -> None:
    """A new revision ties its editor to everyone who edited the item before: a symmetric
    group among the distinct editors so far, caused by this revision."""
    editors = co_edit_editor_ids(item_id=item.pk, up_to=revision.number)
    if len(editors) > 1:
        interactions_write(
            group_specs(
                community_id=item.community_id,
                member_ids=editors,
                kind=Interaction.Kind.CO_EDIT,
                occurred_at=revision.created_at,
                source=revision,
            )
        )


def _save_item(item: Item, *extra_fields: str) -> None:
    item.save(
        update_fields=[
            "kind", "title", "summary", "body", "body_html", "revision_count", "updated_at",
            *extra_fields,
        ]
    )  # fmt: skip


# --- propose and edit --------------------------------------------------------------------------


def _existing_submission(by, submission_key: str) -> Item | None:
    if not submission_key:
        return None
    return Item.objects.filter(proposed_by=by, submission_key=submission_key).first()


def item_propose(
    *,
    community,
    by,
    kind: str,
    title: str,
    summary: str,
    body: str = "",
    tag_names=(),
    links=(),
    source_thread=None,
    source_post=None,
    extra_contributors=(),
    promoted: bool = False,
    submission_key: str = "",
    at: datetime | None = None,
) -> Item:
    """Propose a new item (revision 1) at *at* (default now); a moderator publishes it later.

    *promoted* items come from a discussion (a moderator's promotion): the event says so and
    *extra_contributors* (the authors of the source posts) are credited as its source.
    """
    if promoted:
        permissions.require_can_curate(user=by, community=community)
    else:
        permissions.require_can_propose_item(user=by, community=community)
    content = clean_content(kind=kind, title=title, summary=summary, body=body, tag_names=tag_names)
    links = clean_links(links)
    if source_thread is not None and source_thread.community_id != community.pk:
        raise ValidationError("The source discussion belongs to another community.")
    if source_post is not None and source_post.community_id != community.pk:
        raise ValidationError("The source post belongs to another community.")
    if source_post is not None and source_thread is None:
        source_thread = source_post.thread
    existing = _existing_submission(by, submission_key)
    if existing is not None:
        return existing
    now = at or timezone.now()
    try:
        with transaction.atomic():
            item = Item.objects.create(
                community=community,
                kind=content.kind,
                title=content.title,
                summary=content.summary,
                state=Item.State.PROPOSED,
                proposed_by=by,
                source_thread=source_thread,
                source_post=source_post,
                created_at=now,
                updated_at=now,
                submission_key=submission_key,
            )
            write_revision(
                item=item,
                content=content,
                editor=by,
                comment="Promoted from a discussion" if promoted else "First proposal",
                at=now,
            )
            _save_item(item)
            credit(item=item, user=by, role=Role.AUTHOR, at=now)
            for user in extra_contributors:
                credit(item=item, user=user, role=Role.SOURCE, at=now)
            _set_links(item, links)
            record_event(
                item=item, actor=by, action=Action.PROMOTED if promoted else Action.PROPOSED, at=now
            )
            item_changed(item.pk)
    except IntegrityError:
        existing = _existing_submission(by, submission_key)
        if existing is None:
            raise
        return existing
    return item


def item_edit(
    *,
    item: Item,
    by,
    kind: str,
    title: str,
    summary: str,
    body: str,
    tag_names,
    comment: str = "",
    links=None,
    at: datetime | None = None,
) -> Item:
    """Edit an item directly (moderators, or the proposer while it is a proposal), at *at*
    (default now).

    A change of content is a new revision; the proposer's edit of an item sent back for changes
    resubmits it. *links* ``None`` leaves the links as they are. Nothing changed: nothing saved.
    """
    content = clean_content(kind=kind, title=title, summary=summary, body=body, tag_names=tag_names)
    links = clean_links(links) if links is not None else None
    comment = clean_comment(comment)
    with transaction.atomic():
        item = lock_item(item)
        permissions.require_can_edit_item(user=by, item=item)
        content_changed = content != current_content(item)
        links_changed = links is not None and links != _current_links(item)
        if not content_changed and not links_changed:
            return item
        now = at or timezone.now()
        extra_fields = []
        if content_changed:
            write_revision(item=item, content=content, editor=by, comment=comment, at=now)
        if links_changed:
            _set_links(item, links)
            item.updated_at = now
        action = Action.EDITED
        if item.state == Item.State.CHANGES_REQUESTED and item.proposed_by_id == by.pk:
            item.state = Item.State.PROPOSED
            extra_fields.append("state")
            action = Action.RESUBMITTED
        _save_item(item, *extra_fields)
        if by.pk != item.proposed_by_id:
            credit(item=item, user=by, role=Role.EDITOR, at=now)
        if not content_changed and not comment:
            comment = "Links updated."
        record_event(item=item, actor=by, action=action, comment=comment, at=now)
        item_changed(item.pk)
    return item


# --- change proposals (members' edits of published items) --------------------------------------


def _lock_proposal(proposal: ChangeProposal) -> ChangeProposal:
    return ChangeProposal.objects.select_for_update().get(pk=proposal.pk)


def change_propose(
    *,
    item: Item,
    by,
    kind: str,
    title: str,
    summary: str,
    body: str,
    tag_names,
    note: str = "",
    at: datetime | None = None,
) -> ChangeProposal:
    """Propose a new version of a published item; proposing again revises one's open proposal.
    *at*: the proposal's moment (default now)."""
    content = clean_content(kind=kind, title=title, summary=summary, body=body, tag_names=tag_names)
    note = clean_comment(note, field="note")
    with transaction.atomic():
        item = lock_item(item)
        permissions.require_can_propose_change(user=by, item=item)
        if content == current_content(item):
            raise ValidationError("Your version is the same as the item: change something first.")
        now = at or timezone.now()
        fields = {
            "kind": content.kind,
            "title": content.title,
            "summary": content.summary,
            "body": content.body,
            "tag_names": list(content.tag_names),
            "note": note,
        }
        proposal = (
            ChangeProposal.objects.select_for_update()
            .filter(item=item, proposed_by=by, state__in=OPEN_CHANGE_STATES)
            .first()
        )
        if proposal is not None:
            unchanged = all(getattr(proposal, name) == value for name, value in fields.items())
            if unchanged and proposal.state == ChangeProposal.State.PENDING:
                return proposal  # the same form sent twice
            for name, value in fields.items():
                setattr(proposal, name, value)
            proposal.state = ChangeProposal.State.PENDING
            proposal.base_revision = item.revision_count
            proposal.updated_at = now
            proposal.save()
            record_event(
                item=item, actor=by, action=Action.CHANGE_PROPOSED, comment="Revised.", at=now
            )
        else:
            proposal = ChangeProposal.objects.create(
                item=item,
                proposed_by=by,
                base_revision=item.revision_count,
                created_at=now,
                updated_at=now,
                **fields,
            )
            record_event(item=item, actor=by, action=Action.CHANGE_PROPOSED, comment=note, at=now)
    return proposal


def _decide(proposal: ChangeProposal, *, state: str, by, comment: str, at) -> None:
    proposal.state = state
    proposal.decided_by = by
    proposal.decided_at = at
    proposal.moderator_comment = comment
    proposal.save(
        update_fields=["state", "decided_by", "decided_at", "moderator_comment", "updated_at"]
    )


def change_accept(*, proposal: ChangeProposal, by, comment: str = "") -> ChangeProposal:
    """Apply a member's proposed change as a new revision, credited to them."""
    comment = clean_comment(comment)
    with transaction.atomic():
        item = lock_item(proposal.item)
        permissions.require_can_curate(user=by, community=item.community)
        proposal = _lock_proposal(proposal)
        if proposal.state == ChangeProposal.State.ACCEPTED:
            return proposal
        if not proposal.is_open:
            raise ValidationError("This change proposal is no longer open.")
        if item.state != Item.State.PUBLISHED:
            raise ValidationError("Only changes to published items can be accepted.")
        now = timezone.now()
        proposer = proposal.proposed_by
        content = ItemContent.of(proposal, proposal.tag_names)
        if content != current_content(item):
            write_revision(
                item=item,
                content=content,
                editor=proposer,
                # Not the proposer's note: it was written for the moderators, and the
                # history is for every reader of the item.
                comment=f"Proposed change (accepted by {by})",
                at=now,
            )
            _save_item(item)
        credit(item=item, user=proposer, role=Role.EDITOR, at=now)
        proposal.updated_at = now
        _decide(proposal, state=ChangeProposal.State.ACCEPTED, by=by, comment=comment, at=now)
        record_event(item=item, actor=by, action=Action.CHANGE_ACCEPTED, comment=comment, at=now)
        item_changed(item.pk)
    return proposal


def _close_proposal(*, proposal, by, comment, state, action, required=False, curate=True):
    comment = clean_comment(comment, required=required)
    with transaction.atomic():
        item = lock_item(proposal.item)
        if curate:
            permissions.require_can_curate(user=by, community=item.community)
        else:
            permissions.require_can_withdraw_change_proposal(user=by, proposal=proposal)
        proposal = _lock_proposal(proposal)
        if proposal.state == state:
            return proposal
        if not proposal.is_open:
            raise ValidationError("This change proposal is no longer open.")
        now = timezone.now()
        proposal.updated_at = now
        _decide(proposal, state=state, by=by, comment=comment, at=now)
        if action:
            record_event(item=item, actor=by, action=action, comment=comment, at=now)
    return proposal


def change_decline(*, proposal: ChangeProposal, by, comment: str = "") -> ChangeProposal:
    return _close_proposal(
        proposal=proposal,
        by=by,
        comment=comment,
        state=ChangeProposal.State.DECLINED,
        action=Action.CHANGE_DECLINED,
    )


def change_request_changes(*, proposal: ChangeProposal, by, comment: str) -> ChangeProposal:
    """Send a change proposal back to its proposer with a comment (it stays open)."""
    return _close_proposal(
        proposal=proposal,
        by=by,
        comment=comment,
        state=ChangeProposal.State.CHANGES_REQUESTED,
        action=Action.CHANGES_REQUESTED,
        required=True,
    )


def change_withdraw(*, proposal: ChangeProposal, by) -> ChangeProposal:
    return _close_proposal(
        proposal=proposal,
        by=by,
        comment="",
        state=ChangeProposal.State.WITHDRAWN,
        action=None,
        curate=False,
    )
