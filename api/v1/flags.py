"""Flags for moderators: the open flags of a community (one row per flagged thread or post,
most flagged first, as on the moderation queue) and resolving them (dismiss, or hide the
content, which closes its flags).

``communities.permissions.access_community_moderation`` decides (404 for who may not read the
community, 403 for readers who do not moderate it); the reads are
``practice.selectors.moderation``'s and the writes ``practice.services.moderation``'s. The
``moderate`` scope is needed too.
"""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from api.v1.common import ERRORS, MODERATE, Id, Limit, Slug, Text, caller_for
from api.v1.pagination import DEFAULT_LIMIT, offset_cursor, offset_from
from api.v1.schemas import Person, StrictInput
from communities import permissions as community_permissions
from communities.models import display_name
from practice import permissions
from practice.forms.moderation import REASON_MAX_LENGTH
from practice.selectors import moderation as selectors
from practice.services import moderation as services

router = Router(tags=["flags"])


class FlagOut(Schema):
    reason: str
    note: str
    reporter: Person
    created_at: datetime


class FlagGroupOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "thread": 88,
                "thread_title": "Cheap dressings from this shop",
                "post": 412,
                "flag_count": 2,
                "reasons": ["spam"],
                "is_hidden": False,
                "flags": [
                    {
                        "reason": "spam",
                        "note": "A shop link in every post",
                        "reporter": {"username": "ada", "name": "Ada"},
                        "created_at": "2026-12-06T21:04:00Z",
                    }
                ],
                "url": "/c/wound-care/t/88/#post-412",
            }
        }
    )

    thread: int
    thread_title: str
    post: int | None = Field(None, description="Null: the flags are about the thread itself.")
    flag_count: int
    reasons: list[str]
    is_hidden: bool
    flags: list[FlagOut]
    url: str


class FlagPage(Schema):
    items: list[FlagGroupOut]
    next_cursor: str | None = None


class ResolveIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"thread": 88, "post": 412, "action": "hide", "reason": "Advertising"}
        },
    )

    thread: Id
    post: Id | None = Field(None, description="Leave out for flags about the thread itself.")
    action: Literal["dismiss", "hide"] = Field(
        description="dismiss: the content stays, its flags close; hide: the post (or the "
        "thread's opening post, hiding the thread) is hidden and its flags close."
    )
    reason: Text = Field("", max_length=REASON_MAX_LENGTH, description="For the moderation log.")


class ResolveOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={"example": {"action": "hide", "closed": 2, "is_hidden": True}}
    )

    action: str
    closed: int = Field(description="How many open flags were closed.")
    is_hidden: bool


def _group(group, slug: str) -> dict:
    thread, post = group.thread, group.post
    url = reverse("practice:thread", args=[slug, thread.pk])
    return {
        "thread": thread.pk,
        "thread_title": thread.title,
        "post": post.pk if post is not None else None,
        "flag_count": group.flag_count,
        "reasons": sorted({flag.reason for flag in group.flags}),
        "is_hidden": group.is_hidden,
        "flags": [
            {
                "reason": flag.reason,
                "note": flag.note,
                "reporter": {
                    "username": flag.reporter.username,
                    "name": display_name(flag.reporter),
                },
                "created_at": flag.created_at,
            }
            for flag in group.flags
        ],
        "url": f"{url}#post-{post.pk}" if post is not None else url,
    }


@router.get(
    "/communities/{slug}/flags",
    response={200: FlagPage, **ERRORS},
    summary="Open flags (moderators, `moderate` scope)",
    description=(
        "One row per flagged thread or post with its open flags, most flagged first (as the "
        "moderation queue). The cursor is a position in this order, which new flags may shift."
    ),
)
def flag_list(
    request: HttpRequest,
    slug: str = Slug,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, MODERATE)
    community = community_permissions.access_community_moderation(user=caller.user, slug=slug)
    offset = offset_from(cursor, "flags")
    rows = list(selectors.open_flag_groups(community=community)[offset : offset + limit + 1])
    more = len(rows) > limit
    groups = selectors.flag_groups_for(community=community, rows=rows[:limit])
    return {
        "items": [_group(group, community.slug) for group in groups],
        "next_cursor": offset_cursor("flags", offset + limit) if more else None,
    }


def _open_count(community, thread_id: int, post_id: int | None) -> int:
    row = (
        selectors.open_flag_groups(community=community)
        .filter(thread_id=thread_id, post_id=post_id)
        .first()
    )
    return row["flag_count"] if row else 0


@router.post(
    "/communities/{slug}/flags/resolve",
    response={200: ResolveOut, **ERRORS},
    summary="Dismiss the flags about a thread or post, or hide it (moderators)",
    description="Resolving again is harmless (nothing is left to close).",
)
def flags_resolve(request: HttpRequest, payload: ResolveIn, slug: str = Slug):
    caller = caller_for(request, MODERATE)
    community = community_permissions.access_community_moderation(user=caller.user, slug=slug)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=payload.thread)
    post = None
    if payload.post is not None:
        post = permissions.thread_posts_visible_to(caller.user, thread).filter(pk=payload.post)
        post = post.select_related("thread__community").first()
        if post is None:
            raise ValidationError({"post": "No such post in this thread."})
    before = _open_count(community, thread.pk, post.pk if post else None)
    if payload.action == "dismiss":
        services.content_flags_dismiss(
            thread=thread, post=post, by=caller.user, reason=payload.reason
        )
        hidden = thread.is_hidden or bool(post and post.is_hidden)
    else:
        target = post if post is not None else thread.opening_post
        target = services.content_hide(post=target, by=caller.user, reason=payload.reason)
        hidden = target.is_hidden
    after = _open_count(community, thread.pk, post.pk if post else None)
    return {"action": payload.action, "closed": before - after, "is_hidden": hidden}
