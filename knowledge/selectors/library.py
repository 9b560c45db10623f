"""Reads for the library: published items by kind, tag, featured, most used, recently changed;
the tags and kinds to browse by; a member's own proposals.

Every read starts from the permission layer (``items_visible_to``); nothing here decides who
may see what.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from communities import permissions as community_permissions
from knowledge import permissions
from knowledge.models import ChangeProposal, CurationEvent, Item, RepertoireTag, TaggedItem

State = Item.State

SORTS = {
    "recent": ("-updated_at", "-pk"),
    "used": ("-used_count", "-worked_count", "-updated_at", "-pk"),
    "featured": ("-featured_at", "-pk"),
    "title": ("title", "pk"),
}
# Curators may list these states besides the library itself.
CURATOR_STATES = {
    "proposed": [State.PROPOSED],
    "changes_requested": [State.CHANGES_REQUESTED],
    "archived": [State.ARCHIVED],
}
# Tags shown in the library's "browse by tag" list (most used first).
TAGS_SHOWN = 40


def library_items(
    *,
    user,
    community,
    kind: str = "",
    tag: str = "",
    featured: bool = False,
    sort: str = "recent",
    state: str = "",
) -> QuerySet[Item]:
    """Published items of *community* (curators may ask for another state), filtered, sorted."""
    qs = permissions.items_visible_to(user, community)
    if state in CURATOR_STATES and permissions.can_curate(user, community):
        qs = qs.filter(state__in=CURATOR_STATES[state])
    else:
        qs = qs.filter(state=State.PUBLISHED)
    if kind in Item.Kind.values:
        qs = qs.filter(kind=kind)
    if tag:
        qs = qs.filter(tags__name=tag)
    if featured:
        qs = qs.filter(is_featured=True)
        sort = sort if sort in SORTS and sort != "recent" else "featured"
    return qs.order_by(*SORTS.get(sort, SORTS["recent"]))


def attach_tags(items: list[Item]) -> list[Item]:
    """Give each item a ``tag_list`` of tag names in one query (not one per row)."""
    by_item: dict[int, list[str]] = {item.pk: [] for item in items}
    if by_item:
        rows = (
            TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Item), object_id__in=list(by_item)
            )
            .order_by("tag__name")
            .values_list("object_id", "tag__name")
        )
        for object_id, name in rows:
            by_item[object_id].append(name)
    for item in items:
        item.tag_list = by_item[item.pk]
    return items


@dataclass
class TagCount:
    name: str
    count: int


def library_tags(*, community, limit: int = TAGS_SHOWN) -> list[TagCount]:
    """Tags of the community's published items, the most used first."""
    rows = (
        RepertoireTag.objects.filter(
            items__content_type=ContentType.objects.get_for_model(Item),
            items__object_id__in=Item.objects.filter(
                community=community, state=State.PUBLISHED
            ).values("pk"),
        )
        .annotate(n=Count("items"))
        .order_by("-n", "name")
        .values_list("name", "n")[:limit]
    )
    return [TagCount(name, n) for name, n in rows]


def library_kind_counts(*, community) -> dict[str, int]:
    """How many published items the community has of each kind."""
    rows = (
        Item.objects.filter(community=community, state=State.PUBLISHED)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def curation_counts(*, community) -> dict[str, int]:
    """For curators: proposals and change proposals waiting, items sent back."""
    counts = Item.objects.filter(community=community).aggregate(
        proposed=Count("pk", filter=Q(state=State.PROPOSED)),
        changes_requested=Count("pk", filter=Q(state=State.CHANGES_REQUESTED)),
        archived=Count("pk", filter=Q(state=State.ARCHIVED)),
    )
    counts["changes"] = ChangeProposal.objects.filter(
        item__community=community, state=ChangeProposal.State.PENDING
    ).count()
    return counts


def my_proposals(*, user, community) -> QuerySet[Item]:
    """Items *user* proposed in *community*, in every state, newest first."""
    if not user.is_authenticated:
        return Item.objects.none()
    return (
        permissions.items_visible_to(user, community)
        .filter(proposed_by=user)
        .order_by("-created_at", "-pk")
    )


def my_change_proposals(*, user, community) -> QuerySet[ChangeProposal]:
    """Changes *user* proposed to items of *community*, newest first."""
    if not user.is_authenticated or not community_permissions.can_view_content(user, community):
        return ChangeProposal.objects.none()
    return (
        ChangeProposal.objects.filter(item__community=community, proposed_by=user)
        .select_related("item")
        .order_by("-created_at", "-pk")
    )


def pending_change_proposals(*, user, community) -> QuerySet[ChangeProposal]:
    """For curators: change proposals waiting for a decision, oldest first."""
    if not permissions.can_curate(user, community):
        return ChangeProposal.objects.none()
    return (
        ChangeProposal.objects.filter(item__community=community, state=ChangeProposal.State.PENDING)
        .select_related("item", "proposed_by__profile")
        .order_by("created_at", "pk")
    )


def attach_change_requests(items: list[Item]) -> list[Item]:
    """Give each item sent back for changes the moderator's latest comment (one query)."""
    waiting = {item.pk: item for item in items if item.state == State.CHANGES_REQUESTED}
    for item in items:
        item.change_request = None
    if waiting:
        rows = CurationEvent.objects.filter(
            item_id__in=list(waiting), action=CurationEvent.Action.CHANGES_REQUESTED
        ).order_by("created_at", "pk")
        for event in rows:
            waiting[event.item_id].change_request = event
    return items


# The welcome after joining shows this many of the library's best items.
WELCOME_ITEMS = 3


def welcome_library_panel(*, user, community) -> dict | None:
    """The welcome's best library items: featured first, then the most used and worked (one
    query); None when the library is empty."""
    items = list(
        permissions.items_visible_to(user, community)
        .filter(state=State.PUBLISHED)
        .order_by("-is_featured", "-used_count", "-worked_count", "-updated_at", "-pk")[
            :WELCOME_ITEMS
        ]
    )
    if not items:
        return None
    for item in items:
        item.community = community  # the same row: its URL needs no query
    return {"items": items, "library_url": reverse("knowledge:library", args=[community.slug])}
