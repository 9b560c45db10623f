"""Webhooks through the API: a community's moderators list, register, change, switch off and
on, and delete its endpoints, rotate an endpoint's secret (shown once), read its delivery log
and send a delivery again.

``api.permissions.access_managed_webhooks`` decides: a caller who does not moderate the
community gets a 404 (its webhooks are not even known to exist), and the token needs the
``moderate`` scope. Writes are one call each to ``api.webhooks``' services, reads are
``api.selectors``'.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from api import permissions, selectors, webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from api.v1.common import ERRORS, MODERATE, Limit, ObjectId, Slug, Text, caller_for
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from api.v1.schemas import Person, StrictInput
from communities.models import display_name

router = Router(tags=["webhooks"])

WebhookId = ObjectId
EventName = Literal[tuple(WebhookEndpoint.Event.values)]
DeliveryState = Literal[tuple(WebhookDelivery.State.values)]
ORDER = ("-created_at", "-pk")


class WebhookOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 4,
                "url": "https://chat.example.org/hooks/wound-care",
                "description": "New questions into the ward's team chat",
                "events": ["thread.created", "answer.accepted"],
                "is_active": True,
                "created_by": {"username": "ana", "name": "Ana Ruiz"},
                "created_at": "2026-12-01T08:30:00Z",
                "consecutive_failures": 0,
                "disabled_at": None,
                "disabled_reason": "",
            }
        }
    )

    id: int
    url: str
    description: str
    events: list[EventName]
    is_active: bool
    created_by: Person | None = Field(
        None, description="Whose rights the deliveries carry (null: a deleted account)."
    )
    created_at: datetime
    consecutive_failures: int = Field(description="Deliveries in a row that failed.")
    disabled_at: datetime | None = None
    disabled_reason: str


class WebhookWithSecret(WebhookOut):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                **WebhookOut.model_config["json_schema_extra"]["example"],
                "secret": "whsec_Vb3kQ9…",
            }
        }
    )

    secret: str = Field(
        description="Signs every delivery. Shown in this answer only: store it now."
    )


class WebhookPage(Schema):
    items: list[WebhookOut]
    next_cursor: str | None = None


class WebhookIn(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "url": "https://chat.example.org/hooks/wound-care",
                "events": ["thread.created", "answer.accepted"],
                "description": "New questions into the ward's team chat",
            }
        },
    )

    url: Text = Field(
        min_length=1, max_length=500, description="A public http(s) address taking a JSON POST."
    )
    events: list[EventName] = Field(min_length=1, max_length=len(WebhookEndpoint.Event.values))
    description: Text = Field("", max_length=100)


class WebhookPatch(StrictInput):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"events": ["thread.created"], "is_active": True}},
    )

    url: Text | None = Field(None, min_length=1, max_length=500)
    events: list[EventName] | None = Field(
        None, min_length=1, max_length=len(WebhookEndpoint.Event.values)
    )
    description: Text | None = Field(None, max_length=100)
    is_active: bool | None = Field(
        None,
        description="false switches it off; true switches it on again, carrying your rights.",
    )


class AttemptOut(Schema):
    number: int
    at: datetime
    status_code: int | None = None
    duration_ms: int
    error: str


class DeliveryOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 311,
                "uuid": "5b0c7e0e-3f7a-4a41-9d1e-2f0f6c1b9a10",
                "event": "thread.created",
                "state": "failed",
                "attempts": 6,
                "status_code": 502,
                "duration_ms": 87,
                "error": "",
                "occurred_at": "2026-12-07T09:14:03Z",
                "created_at": "2026-12-07T09:14:04Z",
                "finished_at": "2026-12-07T09:29:50Z",
                "tries": [
                    {
                        "number": 1,
                        "at": "2026-12-07T09:14:04Z",
                        "status_code": 502,
                        "duration_ms": 91,
                        "error": "",
                    }
                ],
            }
        }
    )

    id: int
    uuid: str = Field(description="The X-Practica-Delivery header, the same on every attempt.")
    event: EventName
    state: DeliveryState
    attempts: int
    status_code: int | None = None
    duration_ms: int | None = None
    error: str
    occurred_at: datetime
    created_at: datetime
    finished_at: datetime | None = None
    tries: list[AttemptOut] = Field(description="Every attempt: the delivery log's lines.")


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = None


def _out(endpoint: WebhookEndpoint) -> dict:
    creator = endpoint.created_by
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events.split(),
        "is_active": endpoint.is_active,
        "created_by": (
            {"username": creator.username, "name": display_name(creator)} if creator else None
        ),
        "created_at": endpoint.created_at,
        "consecutive_failures": endpoint.consecutive_failures,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
    }


def _with_secret(endpoint: WebhookEndpoint) -> dict:
    return {**_out(endpoint), "secret": endpoint.secret}


def _delivery_out(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "uuid": str(delivery.uuid),
        "event": delivery.event,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "status_code": delivery.status_code,
        "duration_ms": delivery.duration_ms,
        "error": delivery.error,
        "occurred_at": delivery.occurred_at,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
        "tries": [
            {
                "number": attempt.number,
                "at": attempt.at,
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
            }
            for attempt in delivery.tries.all()
        ],
    }


def _endpoint(request: HttpRequest, slug: str, webhook_id: int):
    caller = caller_for(request, MODERATE)
    endpoint = permissions.access_managed_webhook(
        user=caller.user, slug=slug, endpoint_id=webhook_id
    )
    return caller, endpoint


@router.get(
    "/communities/{slug}/webhooks",
    response={200: WebhookPage, **ERRORS},
    summary="A community's webhooks (moderators, `moderate` scope)",
    description="Newest first. Anyone who does not moderate the community gets a 404.",
)
def webhook_list(
    request: HttpRequest,
    slug: str = Slug,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, MODERATE)
    community = permissions.access_managed_webhooks(user=caller.user, slug=slug)
    qs = selectors.webhook_endpoints(community=community)
    after, finish = keyset_page(qs, kind="webhooks", order=ORDER, cursor=cursor, limit=limit)
    rows, next_cursor = finish(list(after[: limit + 1]))
    return {"items": [_out(endpoint) for endpoint in rows], "next_cursor": next_cursor}


@router.post(
    "/communities/{slug}/webhooks",
    response={201: WebhookWithSecret, **ERRORS},
    summary="Register a webhook (moderators, `moderate` scope)",
    description=(
        "The answer holds the secret that signs its deliveries, this once. The URL must be "
        "public http(s) (private, loopback and link-local addresses are refused: 400); at "
        "most 10 webhooks per community. It carries your rights: deliveries stop if you no "
        "longer moderate the community."
    ),
)
def webhook_create(request: HttpRequest, payload: WebhookIn, slug: str = Slug):
    caller = caller_for(request, MODERATE)
    community = permissions.access_managed_webhooks(user=caller.user, slug=slug)
    endpoint = webhooks.endpoint_create(
        community=community,
        by=caller.user,
        url=payload.url,
        events=payload.events,
        description=payload.description,
    )
    return Status(201, _with_secret(endpoint))


@router.get(
    "/communities/{slug}/webhooks/{webhook_id}",
    response={200: WebhookOut, **ERRORS},
    summary="One webhook (moderators, `moderate` scope)",
    description="Never its secret: rotate it to get a new one.",
)
def webhook_detail(request: HttpRequest, slug: str = Slug, webhook_id: int = WebhookId):
    _, endpoint = _endpoint(request, slug, webhook_id)
    return _out(endpoint)


@router.patch(
    "/communities/{slug}/webhooks/{webhook_id}",
    response={200: WebhookOut, **ERRORS},
    summary="Change a webhook, or switch it off or on (moderators, `moderate` scope)",
    description="Fields left out stay as they are; a new URL is checked as at registration.",
)
def webhook_update(
    request: HttpRequest, payload: WebhookPatch, slug: str = Slug, webhook_id: int = WebhookId
):
    caller, endpoint = _endpoint(request, slug, webhook_id)
    endpoint = webhooks.endpoint_update(
        endpoint=endpoint,
        by=caller.user,
        url=payload.url,
        events=payload.events,
        description=payload.description,
    )
    if payload.is_active is True and not endpoint.is_active:
        endpoint = webhooks.endpoint_enable(endpoint=endpoint, by=caller.user)
    elif payload.is_active is False:
        endpoint = webhooks.endpoint_switch_off(endpoint=endpoint, by=caller.user)
    return _out(endpoint)


@router.delete(
    "/communities/{slug}/webhooks/{webhook_id}",
    response={204: None, **ERRORS},
    summary="Delete a webhook and its delivery log (moderators, `moderate` scope)",
)
def webhook_delete(request: HttpRequest, slug: str = Slug, webhook_id: int = WebhookId):
    caller, endpoint = _endpoint(request, slug, webhook_id)
    webhooks.endpoint_delete(endpoint=endpoint, by=caller.user)
    return Status(204, None)


@router.post(
    "/communities/{slug}/webhooks/{webhook_id}/secret",
    response={200: WebhookWithSecret, **ERRORS},
    summary="Rotate a webhook's secret (moderators, `moderate` scope)",
    description=(
        "A new secret, shown in this answer only; every delivery from now on is signed with "
        "it (attempts already on their way included), so update the receiver first."
    ),
)
def webhook_secret_rotate(request: HttpRequest, slug: str = Slug, webhook_id: int = WebhookId):
    caller, endpoint = _endpoint(request, slug, webhook_id)
    endpoint = webhooks.endpoint_secret_rotate(endpoint=endpoint, by=caller.user)
    return _with_secret(endpoint)


@router.get(
    "/communities/{slug}/webhooks/{webhook_id}/deliveries",
    response={200: DeliveryPage, **ERRORS},
    summary="A webhook's delivery log (moderators, `moderate` scope)",
    description="Newest first, each delivery with every attempt's status, duration and error.",
)
def webhook_deliveries(
    request: HttpRequest,
    slug: str = Slug,
    webhook_id: int = WebhookId,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    _, endpoint = _endpoint(request, slug, webhook_id)
    qs = selectors.webhook_delivery_log(endpoint=endpoint)
    after, finish = keyset_page(qs, kind="deliveries", order=ORDER, cursor=cursor, limit=limit)
    rows, next_cursor = finish(list(after[: limit + 1]))
    return {"items": [_delivery_out(d) for d in rows], "next_cursor": next_cursor}


@router.post(
    "/communities/{slug}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a delivery again (moderators, `moderate` scope)",
    description=(
        "For a delivered, failed or skipped delivery of a webhook that is on (400 when it is "
        "switched off): one more attempt with the same delivery id and a fresh timestamp and "
        "signature, sent in the background. A delivery still pending is left as it is."
    ),
)
def webhook_redeliver(
    request: HttpRequest,
    slug: str = Slug,
    webhook_id: int = WebhookId,
    delivery_id: int = ObjectId,
):
    caller, endpoint = _endpoint(request, slug, webhook_id)
    delivery = permissions.access_webhook_delivery(endpoint=endpoint, delivery_id=delivery_id)
    delivery = webhooks.delivery_redeliver(delivery=delivery, by=caller.user)
    delivery = selectors.webhook_delivery_log(endpoint=endpoint).get(pk=delivery.pk)
    return Status(202, _delivery_out(delivery))
