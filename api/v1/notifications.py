"""The caller's notifications (``notifications.selectors``: only from communities they may
still read) and marking them read (``notifications.services``)."""

from django.http import HttpRequest
from ninja import Query, Router

from api import permissions as api_permissions
from api.v1 import schemas
from api.v1.common import READ, WRITE, Limit, Text, caller_for, errors
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from notifications import selectors, services

router = Router(tags=["notifications"])


@router.get(
    "/notifications",
    response={200: schemas.NotificationPage, **errors(400, 401, 403, 429)},
    summary="The caller's notifications, newest first",
)
def notification_list(
    request: HttpRequest,
    unread: bool = Query(False, description="Only those not read yet."),
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    api_permissions.require_signed_in(caller=caller)
    qs = selectors.notification_list(user=caller.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    after, finish = keyset_page(
        qs, kind="notifications", order=("-created_at", "-pk"), cursor=cursor, limit=limit
    )
    rows, next_cursor = finish(list(after[: limit + 1]))
    items = [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": n.text,
            "url": n.url,
            "community": n.community.slug if n.community_id else None,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/notifications/read",
    response={200: schemas.MarkReadOut, **errors(400, 401, 403, 429)},
    summary="Mark notifications read",
    description="Ids that are not the caller's (or no longer visible) are ignored.",
)
def notifications_mark_read(request: HttpRequest, payload: schemas.MarkReadIn):
    caller = caller_for(request, WRITE)
    visible = selectors.notification_list(user=caller.user)
    if payload.ids is not None:
        ids = list(visible.filter(pk__in=payload.ids).values_list("pk", flat=True))
        marked = services.notifications_mark_read(user=caller.user, ids=ids) if ids else 0
    else:
        marked = services.notifications_mark_read(user=caller.user)
    return {"marked": marked}
