"""The library (knowledge): a community's items with the web list's filters and sorts, one
item (its revisions count and attachments' metadata, never a file path), proposing an item,
editing one (moderators, or its proposer while it is a proposal), and the moderators'
curation (publish, feature, archive).

Reads start from ``knowledge.permissions`` (``access_item``, ``items_visible_to`` through
``knowledge.selectors``); writes are one call to a ``knowledge.services`` function, whose
``require_*`` checks answer 403. Curation also needs the token's ``moderate`` scope.
"""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from api.v1.common import (
    ERRORS,
    MODERATE,
    READ,
    WRITE,
    Id,
    Limit,
    ObjectId,
    Slug,
    Text,
    caller_for,
    etagged,
)
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from api.v1.schemas import Person, StrictInput
from api.v1.threads import IdempotencyKey
from communities import permissions as community_permissions
from knowledge import permissions
from knowledge.models import BODY_MAX_LENGTH, COMMENT_MAX_LENGTH, SUMMARY_MAX_LENGTH
from knowledge.models import TITLE_MAX_LENGTH as ITEM_TITLE_MAX_LENGTH
from knowledge.selectors import items as item_selectors
from knowledge.selectors import library as selectors
from knowledge.services import curation
from knowledge.services import items as item_services

router = Router(tags=["library"])

ItemId = ObjectId
Kind = Literal["story", "tool", "concept", "case", "method", "artefact", "event_record"]
State = Literal["proposed", "changes_requested", "published", "archived"]


class ItemRow(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 12,
                "kind": "method",
                "title": "Two-layer compression for mixed ulcers",
                "summary": "When ABPI is 0.6–0.8: reduced compression, checked weekly.",
                "state": "published",
                "is_featured": True,
                "tags": ["compression", "venous-ulcers"],
                "used_count": 9,
                "worked_count": 7,
                "revision_count": 3,
                "updated_at": "2026-11-20T09:12:00Z",
                "published_at": "2026-10-02T14:00:00Z",
                "url": "/c/wound-care/library/12/",
            }
        }
    )

    id: int
    kind: str
    title: str
    summary: str
    state: State
    is_featured: bool
    tags: list[str]
    used_count: int
    worked_count: int
    revision_count: int
    updated_at: datetime
    published_at: datetime | None = None
    url: str


class ItemPage(Schema):
    items: list[ItemRow]
    next_cursor: str | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int = Field(description="Bytes.")
    uploaded_at: datetime
    url: str = Field(description="The permission-checked download (as on the item page).")


class LinkOut(Schema):
    url: str
    label: str


class ItemDetail(ItemRow):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                **ItemRow.model_config["json_schema_extra"]["example"],
                "body": "## Steps\n1. Measure ABPI…",
                "body_html": "<h2>Steps</h2>\n<ol>\n<li>Measure ABPI…</li>\n</ol>",
                "proposed_by": {"username": "ana", "name": "Ana Ruiz"},
                "contributors": [{"username": "lena", "name": "Lena Kraus"}],
                "links": [{"url": "https://example.org/guideline", "label": "Guideline"}],
                "attachments": [
                    {
                        "id": 3,
                        "name": "leaflet.pdf",
                        "content_type": "application/pdf",
                        "size": 182044,
                        "uploaded_at": "2026-10-02T13:55:00Z",
                        "url": "/c/wound-care/library/12/attachments/3/",
                    }
                ],
                "superseded_by": None,
                "can_edit": False,
                "can_curate": False,
            }
        }
    )
    body: str = Field(description="The Markdown as written.")
    body_html: str = Field(description="Sanitised HTML (nh3), as the site shows it.")
    proposed_by: Person
    contributors: list[Person]
    links: list[LinkOut]
    attachments: list[AttachmentOut]
    superseded_by: int | None = Field(None, description="The item that replaces an archived one.")
    can_edit: bool
    can_curate: bool


class LinkIn(StrictInput):
    url: Text = Field(max_length=1000)
    label: Text = Field("", max_length=200)


class ItemIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "kind": "method",
                "title": "Two-layer compression for mixed ulcers",
                "summary": "When ABPI is 0.6–0.8: reduced compression, checked weekly.",
                "body": "## Steps\n1. Measure ABPI…",
                "tags": ["compression"],
                "links": [{"url": "https://example.org/guideline", "label": "Guideline"}],
            }
        },
    )

    kind: Kind
    title: Text = Field(min_length=1, max_length=ITEM_TITLE_MAX_LENGTH)
    summary: Text = Field(min_length=1, max_length=SUMMARY_MAX_LENGTH)
    body: Text = Field("", max_length=BODY_MAX_LENGTH)
    tags: list[Text] = Field(default_factory=list, max_length=item_services.MAX_TAGS)
    links: list[LinkIn] = Field(default_factory=list, max_length=item_services.MAX_LINKS)


class CommentIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"comment": "Checked against the 2026 guideline."}},
    )

    comment: Text = Field("", max_length=COMMENT_MAX_LENGTH, description="Kept with the item.")


class ArchiveIn(CommentIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"comment": "Replaced by the 2027 guideline.", "superseded_by": 31}
        },
    )

    superseded_by: Id | None = Field(
        None, description="A published item of the same community that replaces this one."
    )


def _item_base(slug: str) -> str:
    # One reverse() per page; the rows append "<id>/" (as the library page does).
    return reverse("knowledge:item", args=[slug, 0]).removesuffix("0/")


def _row(item, base: str) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item.title,
        "summary": item.summary,
        "state": item.state,
        "is_featured": item.is_featured,
        "tags": list(item.tag_list),
        "used_count": item.used_count,
        "worked_count": item.worked_count,
        "revision_count": item.revision_count,
        "updated_at": item.updated_at,
        "published_at": item.published_at,
        "url": f"{base}{item.pk}/",
    }


def _person(user) -> dict:
    profile = getattr(user, "profile", None)
    return {
        "username": user.username,
        "name": (profile.display_name if profile else "") or user.username,
    }


@router.get(
    "/communities/{slug}/library",
    response={200: ItemPage, **ERRORS},
    summary="A community's library",
    description=(
        "Published items with the library page's filters and sorts; moderators may ask for "
        "another `state` (proposals, items sent back, archived), which is ignored for anyone "
        "else, as on the web. `featured` lists featured items, most recently featured first "
        "unless another sort is asked."
    ),
)
def item_list(
    request: HttpRequest,
    slug: str = Slug,
    kind: Kind | None = None,
    tag: Text = Query("", max_length=100),
    featured: bool = False,
    sort: Literal["recent", "used", "title"] = "recent",
    state: Literal["proposed", "changes_requested", "archived"] | None = None,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    tag = " ".join(tag.split()).lower()  # the library form's normalisation
    qs = selectors.library_items(
        user=caller.user,
        community=community,
        kind=kind or "",
        tag=tag,
        featured=featured,
        sort=sort,
        state=state or "",
    )
    effective = "featured" if featured and sort == "recent" else sort
    after, finish = keyset_page(
        qs,
        kind=f"library:{effective}",
        order=selectors.SORTS[effective],
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = finish(list(after[: limit + 1]))
    selectors.attach_tags(rows)
    base = _item_base(community.slug)
    return {"items": [_row(item, base) for item in rows], "next_cursor": next_cursor}


def _detail(user, item) -> dict:
    page = item_selectors.item_page(user=user, item=item)
    slug = item.community.slug
    return {
        **_row(item, _item_base(slug)),
        "body": item.body,
        "body_html": item.body_html,
        "proposed_by": _person(item.proposed_by),
        "contributors": [_person(credit.user) for credit in page.contributors],
        "links": [{"url": link.url, "label": link.label} for link in page.links],
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
                "url": reverse("knowledge:attachment", args=[slug, item.pk, a.pk]),
            }
            for a in page.attachments
        ],
        "superseded_by": page.superseded_by.pk if page.superseded_by else None,
        "can_edit": page.can_edit,
        "can_curate": page.can_curate,
    }


@router.get(
    "/communities/{slug}/library/{item_id}",
    response={200: ItemDetail, 304: None, **ERRORS},
    summary="One library item",
    description=(
        "Readers open published items (and archived ones that were published); a proposer "
        "their own proposals; moderators every item. Anything else is a 404, as on the web. "
        "Sends an ETag; If-None-Match answers 304."
    ),
)
def item_detail(request: HttpRequest, slug: str = Slug, item_id: int = ItemId):
    caller = caller_for(request, READ)
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item_id)
    return etagged(request, _detail(caller.user, item))


@router.post(
    "/communities/{slug}/library",
    response={201: ItemDetail, **ERRORS},
    summary="Propose an item for the library",
    description="For active members; a moderator publishes it or asks for changes.",
)
def item_propose(
    request: HttpRequest,
    payload: ItemIn,
    slug: str = Slug,
    idempotency_key: Text | None = IdempotencyKey,
):
    caller = caller_for(request, WRITE)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    item = item_services.item_propose(
        community=community,
        by=caller.user,
        kind=payload.kind,
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        tag_names=payload.tags,
        links=[(link.url, link.label) for link in payload.links],
        submission_key=idempotency_key or "",
    )
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item.pk)
    return Status(201, _detail(caller.user, item))


class ItemPatch(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "summary": "When ABPI is 0.6–0.8: reduced compression, checked twice a week.",
                "tags": ["compression", "venous-ulcers"],
                "comment": "Weekly was too rare for mixed ulcers.",
            }
        },
    )

    kind: Kind | None = None
    title: Text | None = Field(None, min_length=1, max_length=ITEM_TITLE_MAX_LENGTH)
    summary: Text | None = Field(None, min_length=1, max_length=SUMMARY_MAX_LENGTH)
    body: Text | None = Field(None, max_length=BODY_MAX_LENGTH)
    tags: list[Text] | None = Field(None, max_length=item_services.MAX_TAGS)
    links: list[LinkIn] | None = Field(
        None, max_length=item_services.MAX_LINKS, description="Replaces the links when given."
    )
    comment: Text = Field(
        "", max_length=COMMENT_MAX_LENGTH, description="Says what changed (in the history)."
    )


@router.patch(
    "/communities/{slug}/library/{item_id}",
    response={200: ItemDetail, **ERRORS},
    summary="Edit a library item",
    description=(
        "As on the web: a moderator edits any item (with the `moderate` scope, unless they "
        "proposed it), the proposer their own while it is a proposal or sent back for changes "
        "(which resubmits it). Anyone else is 403; a member changes a published item by a "
        "change proposal on the site. Fields left out stay as they are; a change of content "
        "is a new revision, the earlier one kept in the history."
    ),
)
def item_edit(request: HttpRequest, payload: ItemPatch, slug: str = Slug, item_id: int = ItemId):
    caller = caller_for(request, WRITE)
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item_id)
    if item.proposed_by_id != caller.user.pk:
        # Editing someone else's item is a moderator's act: a member's everyday token cannot.
        caller_for(request, MODERATE)
    current = item_services.current_content(item)
    item_services.item_edit(
        item=item,
        by=caller.user,
        kind=payload.kind if payload.kind is not None else current.kind,
        title=payload.title if payload.title is not None else current.title,
        summary=payload.summary if payload.summary is not None else current.summary,
        body=payload.body if payload.body is not None else current.body,
        tag_names=payload.tags if payload.tags is not None else current.tag_names,
        links=(
            [(link.url, link.label) for link in payload.links]
            if payload.links is not None
            else None
        ),
        comment=payload.comment,
    )
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item_id)
    return _detail(caller.user, item)


def _curated(request, slug: str, item_id: int, act) -> dict:
    caller = caller_for(request, MODERATE)
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item_id)
    act(caller.user, item)
    item = permissions.access_item(user=caller.user, slug=slug, item_id=item_id)
    return _detail(caller.user, item)


CURATION = {**ERRORS}


@router.post(
    "/communities/{slug}/library/{item_id}/publish",
    response={200: ItemDetail, **CURATION},
    summary="Publish a proposal (moderators, `moderate` scope)",
    description="Publishing a published item is harmless; an archived one is brought back "
    "on the web instead (400).",
)
def item_publish(request: HttpRequest, payload: CommentIn, slug: str = Slug, item_id: int = ItemId):
    return _curated(
        request,
        slug,
        item_id,
        lambda by, item: curation.item_publish(item=item, by=by, comment=payload.comment),
    )


@router.put(
    "/communities/{slug}/library/{item_id}/featured",
    response={200: ItemDetail, **CURATION},
    summary="Feature a published item (moderators, `moderate` scope)",
)
def item_feature(request: HttpRequest, slug: str = Slug, item_id: int = ItemId):
    return _curated(
        request, slug, item_id, lambda by, item: curation.item_feature(item=item, by=by)
    )


@router.delete(
    "/communities/{slug}/library/{item_id}/featured",
    response={200: ItemDetail, **CURATION},
    summary="Stop featuring an item (moderators, `moderate` scope)",
)
def item_unfeature(request: HttpRequest, slug: str = Slug, item_id: int = ItemId):
    return _curated(
        request, slug, item_id, lambda by, item: curation.item_unfeature(item=item, by=by)
    )


@router.post(
    "/communities/{slug}/library/{item_id}/archive",
    response={200: ItemDetail, **CURATION},
    summary="Archive an item, or decline a proposal (moderators, `moderate` scope)",
    description="Optionally name the published item that replaces it; its open change "
    "proposals are declined.",
)
def item_archive(request: HttpRequest, payload: ArchiveIn, slug: str = Slug, item_id: int = ItemId):
    def act(by, item):
        successor = None
        if payload.superseded_by is not None:
            successor = (
                permissions.items_visible_to(by, item.community)
                .filter(pk=payload.superseded_by)
                .first()
            )
            if successor is None:
                raise ValidationError(
                    {"superseded_by": "Choose a published item of this community."}
                )
        curation.item_archive(item=item, by=by, comment=payload.comment, superseded_by=successor)

    return _curated(request, slug, item_id, act)
