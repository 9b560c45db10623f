"""Reads for one item: its page (with what the viewer may do), its history with readable diffs,
a diff between any two revisions, and a change proposal against the current version.

A constant number of queries per page whatever the number of contributors, links, files,
revisions or events: each list is one query, and long lists are bounded.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from knowledge import permissions
from knowledge.models import ChangeProposal, CurationEvent, Item, ItemContributor, ItemRevision
from knowledge.selectors.library import attach_tags
from practice import permissions as practice_permissions

# The diff renderer the post history uses: unified diff lines marked add / del / context.
from practice.selectors.threads import DiffLine
from practice.selectors.threads import _diff as line_diff

User = get_user_model()
State = Item.State
# Curation events shown on the item page (the history page shows them all).
EVENTS_SHOWN = 8
# Change proposals listed for curators on the item page.
CHANGES_SHOWN = 10


@dataclass
class ItemPage:
    item: Item
    tags: list[str]
    contributors: list[ItemContributor]
    links: list
    attachments: list
    events: list[CurationEvent]
    source_thread: object = None
    superseded_by: Item | None = None
    supersedes: list[Item] = field(default_factory=list)
    pending_changes: list[ChangeProposal] = field(default_factory=list)
    my_change: ChangeProposal | None = None
    can_edit: bool = False
    can_propose_change: bool = False
    can_curate: bool = False
    can_manage_attachments: bool = False
    is_proposer: bool = False

    @property
    def actions(self) -> list[tuple[str, str, str]]:
        """(url name, label, css class) of the one-click curation buttons for this state."""
        if not self.can_curate:
            return []
        item = self.item
        if item.state in (State.PROPOSED, State.CHANGES_REQUESTED):
            return [("knowledge:item_publish", "Publish", "button")]
        if item.state == State.PUBLISHED:
            actions = [
                ("knowledge:item_unfeature", "Stop featuring", "button button-secondary")
                if item.is_featured
                else ("knowledge:item_feature", "Feature", "button button-secondary"),
                ("knowledge:item_review", "Mark reviewed", "button button-secondary"),
            ]
            return actions
        if item.state == State.ARCHIVED:
            return [("knowledge:item_unarchive", "Bring back", "button button-secondary")]
        return []


def item_page(*, user, item: Item) -> ItemPage:
    """Everything the item page shows to *user* (who may already open *item*)."""
    community = item.community
    can_curate = permissions.can_curate(user, community)
    attach_tags([item])
    contributors = list(item.credits.select_related("user__profile").order_by("added_at", "pk"))
    page = ItemPage(
        item=item,
        tags=item.tag_list,
        contributors=contributors,
        links=list(item.links.order_by("position", "pk")),
        attachments=list(item.attachments.order_by("uploaded_at", "pk")),
        events=_readable_events(
            user,
            item,
            item.curation_events.select_related("actor__profile").order_by("-created_at", "-pk")[
                :EVENTS_SHOWN
            ],
        ),
        can_edit=permissions.can_edit_item(user, item),
        can_propose_change=permissions.can_propose_change(user, item),
        can_curate=can_curate,
        is_proposer=user.is_authenticated and item.proposed_by_id == user.pk,
    )
    page.can_manage_attachments = permissions.can_manage_attachments(user, item)
    if item.source_thread_id:
        # Provenance only when the viewer may read the discussion (it may be hidden or moved).
        page.source_thread = (
            practice_permissions.threads_visible_to(user, community)
            .filter(pk=item.source_thread_id)
            .select_related("community")
            .first()
        )
    if item.superseded_by_id:
        page.superseded_by = (
            permissions.items_visible_to(user, community).filter(pk=item.superseded_by_id).first()
        )
    page.supersedes = list(
        permissions.items_visible_to(user, community)
        .filter(superseded_by=item)
        .order_by("-archived_at", "-pk")[:EVENTS_SHOWN]
    )
    if can_curate:
        page.pending_changes = list(
            item.change_proposals.filter(state=ChangeProposal.State.PENDING)
            .select_related("proposed_by__profile")
            .order_by("created_at", "pk")[:CHANGES_SHOWN]
        )
    elif user.is_authenticated and item.state == State.PUBLISHED:
        page.my_change = (
            item.change_proposals.filter(
                proposed_by=user,
                state__in=[ChangeProposal.State.PENDING, ChangeProposal.State.CHANGES_REQUESTED],
            )
            .order_by("-created_at")
            .first()
        )
    return page


# --- history and diffs -------------------------------------------------------------------------


@dataclass
class FieldChange:
    """A one-line field that changed between two versions (title, kind, summary, tags)."""

    label: str
    before: str
    after: str


@dataclass
class VersionDiff:
    fields: list[FieldChange] = field(default_factory=list)
    body: list[DiffLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.fields and not self.body


def _kind_label(kind: str) -> str:
    return Item.Kind(kind).label if kind in Item.Kind.values else kind


def diff_versions(before, after) -> VersionDiff:
    """What changed from *before* to *after* (revisions, items or change proposals)."""
    result = VersionDiff()
    if before.title != after.title:
        result.fields.append(FieldChange("Title", before.title, after.title))
    if before.kind != after.kind:
        result.fields.append(FieldChange("Kind", _kind_label(before.kind), _kind_label(after.kind)))
    if before.summary != after.summary:
        result.fields.append(FieldChange("Summary", before.summary, after.summary))
    before_tags, after_tags = sorted(_tags_of(before)), sorted(_tags_of(after))
    if before_tags != after_tags:
        result.fields.append(
            FieldChange("Tags", ", ".join(before_tags) or "—", ", ".join(after_tags) or "—")
        )
    if before.body != after.body:
        result.body = line_diff(before.body, after.body)
    return result


def _tags_of(obj) -> list[str]:
    if isinstance(obj, Item):
        return list(getattr(obj, "tag_list", None) or obj.tags.names())
    return list(obj.tag_names)


@dataclass
class HistoryEntry:
    revision: ItemRevision
    diff: VersionDiff | None = None
    is_current: bool = False


def item_history(*, item: Item) -> list[HistoryEntry]:
    """The revisions of *item*, newest first, each with its diff against the one before."""
    revisions = list(item.revisions.select_related("editor__profile").order_by("number"))
    entries = []
    for index, revision in enumerate(revisions):
        entry = HistoryEntry(revision=revision)
        if index:
            entry.diff = diff_versions(revisions[index - 1], revision)
        entries.append(entry)
    if entries:
        entries[-1].is_current = True
    return list(reversed(entries))


def _readable_events(user, item: Item, events) -> list[CurationEvent]:
    """The entries of *item*'s log, each carrying its comment only if *user* may see it."""
    events = list(events)
    for event in events:
        if not permissions.can_see_curation_comment(user, event, item):
            event.comment = ""
    return events


def item_events(*, user, item: Item) -> list[CurationEvent]:
    """*item*'s whole log as *user* may see it, newest first."""
    return _readable_events(
        user,
        item,
        item.curation_events.select_related("actor__profile").order_by("-created_at", "-pk"),
    )


def revision_pair(*, item: Item, number_from, number_to):
    """Two revisions of *item* by number (``None`` for a number it does not have)."""
    numbers = []
    for value in (number_from, number_to):
        try:
            numbers.append(int(value))
        except (TypeError, ValueError):
            numbers.append(None)
    found = {
        r.number: r
        for r in item.revisions.select_related("editor__profile").filter(
            number__in=[n for n in numbers if n is not None]
        )
    }
    return found.get(numbers[0]), found.get(numbers[1])


def access_revision(*, item: Item, number) -> ItemRevision | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return item.revisions.filter(number=number).first()


def change_proposal_diff(*, proposal: ChangeProposal) -> VersionDiff:
    """What accepting *proposal* would change in its item as it is now."""
    item = proposal.item
    attach_tags([item])
    return diff_versions(item, proposal)
