"""The moderators' other tools: join requests (list, approve, deny) and threads (lock, unlock,
move), each with the ``moderate`` scope.

Join requests go through ``communities.permissions`` (``access_community_moderation``: 404 for
who may not read the community, 403 for readers who do not moderate it;
``access_membership_for_moderation``) and ``communities.services``; threads through
``practice.permissions.access_thread`` plus ``require_can_moderate``, as the thread page's
moderator actions, and ``practice.services.moderation``.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from api.v1 import schemas
from api.v1.common import ERRORS, MODERATE, Limit, ObjectId, Slug, Text, caller_for
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from api.v1.schemas import StrictInput
from api.v1.threads import thread_detail_data
from communities import permissions as community_permissions
from communities import selectors as community_selectors
from communities import services as community_services
from communities.models import display_name
from practice import permissions
from practice.forms.moderation import REASON_MAX_LENGTH
from practice.selectors import moderation as moderation_selectors
from practice.services import moderation as moderation_services

router = Router(tags=["moderation"])


class JoinRequestOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 57,
                "member": {"username": "lena", "name": "Lena Kraus"},
                "message": "Tissue viability nurse on ward 7; I'd like to learn from you.",
                "requested_at": "2026-12-06T16:20:00Z",
            }
        }
    )

    id: int = Field(description="The request's id (approve or deny it with this).")
    member: schemas.Person
    message: str
    requested_at: datetime


class JoinRequestPage(Schema):
    items: list[JoinRequestOut]
    next_cursor: str | None = None


class DecisionIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"message": "Welcome to the circle!"}}
    )

    message: Text = Field("", max_length=500, description="Sent to the member with the answer.")


class DecisionOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 57,
                "member": {"username": "lena", "name": "Lena Kraus"},
                "state": "active",
            }
        }
    )

    id: int
    member: schemas.Person
    state: str = Field(description="active once approved, declined once denied.")


class ReasonIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"reason": "Resolved; see the answer."}}
    )

    reason: Text = Field(
        "", max_length=REASON_MAX_LENGTH, description="Kept in the moderation log."
    )


class MoveIn(ReasonIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"to": "pressure-care", "reason": "Belongs there."}},
    )

    to: Text = Field(
        min_length=1, max_length=80, description="The slug of another community you moderate."
    )


@router.get(
    "/communities/{slug}/join-requests",
    response={200: JoinRequestPage, **ERRORS},
    summary="Pending join requests (moderators, `moderate` scope)",
    description="Oldest first, as on the moderation page.",
)
def join_request_list(
    request: HttpRequest,
    slug: str = Slug,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, MODERATE)
    community = community_permissions.access_community_moderation(user=caller.user, slug=slug)
    qs = community_selectors.pending_requests(community=community)
    after, finish = keyset_page(
        qs, kind="join-requests", order=("updated_at", "pk"), cursor=cursor, limit=limit
    )
    rows, next_cursor = finish(list(after[: limit + 1]))
    items = [
        {
            "id": m.pk,
            "member": {"username": m.user.username, "name": display_name(m.user)},
            "message": m.request_message,
            "requested_at": m.updated_at,
        }
        for m in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def _decide(request, slug: str, request_id: int, decide) -> dict:
    caller = caller_for(request, MODERATE)
    community = community_permissions.access_community_moderation(user=caller.user, slug=slug)
    membership = community_permissions.access_membership_for_moderation(
        user=caller.user, community=community, membership_id=request_id
    )
    membership = decide(membership=membership, by=caller.user)
    user = membership.user
    return {
        "id": membership.pk,
        "member": {"username": user.username, "name": display_name(user)},
        "state": membership.state,
    }


@router.post(
    "/communities/{slug}/join-requests/{request_id}/approve",
    response={200: DecisionOut, **ERRORS},
    summary="Approve a join request (moderators, `moderate` scope)",
    description="Approving twice is harmless; a request no longer pending is a 400.",
)
def join_request_approve(
    request: HttpRequest, payload: DecisionIn, slug: str = Slug, request_id: int = ObjectId
):
    return _decide(
        request,
        slug,
        request_id,
        lambda **kw: community_services.membership_approve(message=payload.message, **kw),
    )


@router.post(
    "/communities/{slug}/join-requests/{request_id}/deny",
    response={200: DecisionOut, **ERRORS},
    summary="Deny a join request (moderators, `moderate` scope)",
    description="Denying twice is harmless; a request no longer pending is a 400.",
)
def join_request_deny(
    request: HttpRequest, payload: DecisionIn, slug: str = Slug, request_id: int = ObjectId
):
    return _decide(
        request,
        slug,
        request_id,
        lambda **kw: community_services.membership_decline(message=payload.message, **kw),
    )


def _thread_for_moderation(caller, slug: str, thread_id: int):
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    community_permissions.require_can_moderate(user=caller.user, community=thread.community)
    return thread


def _set_locked(request, slug: str, thread_id: int, reason: str, *, locked: bool) -> dict:
    caller = caller_for(request, MODERATE)
    thread = _thread_for_moderation(caller, slug, thread_id)
    moderation_services.thread_set_locked(
        thread=thread, by=caller.user, locked=locked, reason=reason
    )
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    return thread_detail_data(caller.user, thread)


@router.put(
    "/communities/{slug}/threads/{thread_id}/lock",
    response={200: schemas.ThreadDetail, **ERRORS},
    summary="Lock a thread (moderators, `moderate` scope)",
    description="A locked thread stays readable; only moderators can post in it. Idempotent.",
)
def thread_lock(
    request: HttpRequest, payload: ReasonIn, slug: str = Slug, thread_id: int = ObjectId
):
    return _set_locked(request, slug, thread_id, payload.reason, locked=True)


@router.delete(
    "/communities/{slug}/threads/{thread_id}/lock",
    response={200: schemas.ThreadDetail, **ERRORS},
    summary="Unlock a thread (moderators, `moderate` scope)",
    description="Members can post in it again. Idempotent.",
)
def thread_unlock(request: HttpRequest, slug: str = Slug, thread_id: int = ObjectId):
    return _set_locked(request, slug, thread_id, "", locked=False)


@router.post(
    "/communities/{slug}/threads/{thread_id}/move",
    response={200: schemas.ThreadDetail, **ERRORS},
    summary="Move a thread to another community you moderate (`moderate` scope)",
    description=(
        "The thread, its posts, votes and flags move; the answer is the thread in its new "
        "community (its `community` and `url` change). A `to` that is not a community you "
        "moderate is a 400."
    ),
)
def thread_move(request: HttpRequest, payload: MoveIn, slug: str = Slug, thread_id: int = ObjectId):
    caller = caller_for(request, MODERATE)
    thread = _thread_for_moderation(caller, slug, thread_id)
    targets = {c.slug: c for c in moderation_selectors.move_targets(user=caller.user)}
    target = targets.get(payload.to)
    if target is None:
        raise ValidationError({"to": "Choose a community you moderate."})
    thread = moderation_services.thread_move(
        thread=thread, to_community=target, by=caller.user, reason=payload.reason
    )
    thread = permissions.access_thread(user=caller.user, slug=target.slug, thread_id=thread.pk)
    return thread_detail_data(caller.user, thread)
