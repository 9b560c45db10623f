"""Communities: the directory, one community, the caller's memberships, join/request/leave.

Reads go through ``communities.selectors`` and ``communities.permissions`` exactly as the
pages do; writes through ``communities.services`` (whose ``require_*`` checks answer 403).
"""

from django.http import HttpRequest
from ninja import Query, Router

from api import permissions as api_permissions
from api import selectors as api_selectors
from api.v1 import schemas
from api.v1.common import ERRORS, READ, WRITE, Limit, Slug, Text, caller_for, errors, etagged
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from communities import permissions, selectors, services

router = Router(tags=["communities"])


def _community_row(community) -> dict:
    can_read = bool(getattr(community, "viewer_can_read", False))
    return {
        "slug": community.slug,
        "name": community.name,
        "domain": community.domain,
        "visibility": community.visibility,
        "member_count": community.member_count if can_read else None,
        "is_member": bool(getattr(community, "viewer_is_member", False)),
        "can_read": can_read,
        "url": community.get_absolute_url(),
    }


@router.get(
    "/communities",
    response={200: schemas.CommunityPage, **errors(400, 401, 403, 429)},
    summary="The directory of communities",
    description=(
        "Every community is listed, as on the directory page; a private one by name and domain "
        "only (no member count) unless the caller is a member. Ordered by name."
    ),
)
def community_list(
    request: HttpRequest,
    q: Text = Query("", max_length=100, description="Part of a name or domain."),
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    qs = selectors.community_directory(user=caller.user, query=q)
    page, finish = keyset_page(
        qs, kind="communities", order=("name", "pk"), cursor=cursor, limit=limit
    )
    rows, next_cursor = finish(list(page[: limit + 1]))
    return {"items": [_community_row(c) for c in rows], "next_cursor": next_cursor}


@router.get(
    "/communities/{slug}",
    response={200: schemas.CommunityDetail, 304: None, **ERRORS},
    summary="One community",
    description=(
        "Name and domain for everyone (the directory shows them); about text, member count and "
        "moderators only to callers who may read the community's content. Sends an ETag; "
        "If-None-Match answers 304."
    ),
)
def community_detail(request: HttpRequest, slug: str = Slug):
    caller = caller_for(request, READ)
    user = caller.user
    community = permissions.access_community(user=user, slug=slug)
    can_read = permissions.can_view_content(user, community)
    membership = permissions.membership_of(user, community)
    data = {
        "slug": community.slug,
        "name": community.name,
        "domain": community.domain,
        "visibility": community.visibility,
        "member_count": selectors.community_member_count(community=community) if can_read else None,
        "is_member": permissions.is_active_member(user, community),
        "can_read": can_read,
        "url": community.get_absolute_url(),
        "about_html": community.about_html if can_read else None,
        "moderators": [
            {"username": m.user.username, "name": m.user.profile.display_name or m.user.username}
            for m in selectors.community_moderators(community=community)
        ]
        if can_read
        else None,
        "membership_state": membership.state if membership else None,
        "membership_role": membership.role if membership else None,
        "can_post": permissions.can_post(user, community),
        "can_join": permissions.can_join(user, community),
        "can_request": permissions.can_request(user, community),
        "can_leave": permissions.can_leave(user, community),
    }
    return etagged(request, data)


@router.get(
    "/me/memberships",
    response={200: schemas.MembershipPage, **errors(400, 401, 403, 429)},
    summary="The caller's memberships",
    description="Active, pending and banned memberships of the caller, newest first.",
)
def my_memberships(
    request: HttpRequest,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    api_permissions.require_signed_in(caller=caller)
    qs = api_selectors.member_memberships(user=caller.user).select_related("community")
    page, finish = keyset_page(
        qs, kind="memberships", order=("-created_at", "-pk"), cursor=cursor, limit=limit
    )
    rows, next_cursor = finish(list(page[: limit + 1]))
    items = [
        {
            "community": m.community.slug,
            "community_name": m.community.name,
            "role": m.role,
            "state": m.state,
            "joined_at": m.joined_at,
        }
        for m in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def _state(community, membership) -> dict:
    return {
        "community": community.slug,
        "state": membership.state if membership else None,
        "role": membership.role if membership else None,
    }


@router.post(
    "/communities/{slug}/join",
    response={200: schemas.MembershipState, **ERRORS},
    summary="Join an open community",
    description="Joining twice is harmless. Request-to-join and private communities: 403 "
    "(use …/request).",
)
def community_join(request: HttpRequest, slug: str = Slug):
    caller = caller_for(request, WRITE)
    community = permissions.access_community(user=caller.user, slug=slug)
    membership = services.membership_join(community=community, user=caller.user)
    return _state(community, membership)


@router.post(
    "/communities/{slug}/request",
    response={200: schemas.MembershipState, **ERRORS},
    summary="Ask to join a request-to-join or private community",
)
def community_request(
    request: HttpRequest,
    payload: schemas.JoinRequestIn,
    slug: str = Slug,
):
    caller = caller_for(request, WRITE)
    community = permissions.access_community(user=caller.user, slug=slug)
    membership = services.membership_request(
        community=community, user=caller.user, message=payload.message
    )
    return _state(community, membership)


@router.post(
    "/communities/{slug}/leave",
    response={200: schemas.MembershipState, **ERRORS},
    summary="Leave a community (or withdraw a request)",
)
def community_leave(request: HttpRequest, slug: str = Slug):
    caller = caller_for(request, WRITE)
    community = permissions.access_community(user=caller.user, slug=slug)
    membership = services.membership_leave(community=community, user=caller.user)
    return _state(community, membership)
