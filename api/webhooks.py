"""Webhooks: moderators' endpoints, the events found after a commit, signed deliveries.

Events come from the content apps' change registries (``api.apps`` connects them): after the
transaction commits, ``events_detect`` turns the changed ids into at most one delivery per
endpoint, event and subject (a unique constraint), and ``delivery_attempt`` sends one attempt,
called by the thin task ``api.tasks.webhook_deliver_task`` that holds the retry policy.

Signature scheme (README, "Webhooks"): ``X-Practica-Signature: sha256=<hex>`` where hex is
HMAC-SHA256 with the endpoint's secret over ``f"{timestamp}.".encode() + body``, timestamp
being ``X-Practica-Timestamp`` (Unix seconds). Receivers refuse a timestamp more than five
minutes away from their clock and a delivery id (``X-Practica-Delivery``) they have seen.
"""

import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from api import permissions, selectors, webhook_http
from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from communities.models import Membership, MembershipEvent
from communities.selectors import community_moderators
from core.email import email_queue
from core.enqueue import enqueue_each_on_commit
from knowledge.models import Item
from practice.models import Post, Thread

Event = WebhookEndpoint.Event
State = WebhookDelivery.State
DELIVER_TASK = "api.webhook_deliver"
SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS_PER_COMMUNITY = 10
# Six attempts, 30 s apart and doubling: the last one about 15 minutes after the event.
MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
# Deliveries in a row that failed all their attempts before the endpoint is switched off.
DISABLE_AFTER = 5
# How far back a "member joined" row may be when its transaction commits.
JOIN_WINDOW = timedelta(hours=1)
USER_AGENT = "Practica-Webhooks/1"


def disable_after() -> int:
    return int(getattr(settings, "PRACTICA_WEBHOOKS_DISABLE_AFTER", DISABLE_AFTER))


def retry_countdown(attempt: int) -> int:
    """Seconds to wait after failed attempt number *attempt* (1-based)."""
    return RETRY_BASE_SECONDS * 2 ** (attempt - 1)


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The X-Practica-Signature value of *body* sent at *timestamp*."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- endpoints ------------------------------------------------------------------------------------


def _clean_events(events) -> str:
    chosen = [e for e in Event.values if e in set(events or ())]
    if set(events or ()) - set(Event.values) or not chosen:
        raise ValidationError({"events": "Choose one or more of the events listed."})
    return " ".join(chosen)


def endpoint_create(
    *, community, by, url: str, events, description: str = "", at: datetime | None = None
) -> WebhookEndpoint:
    """Register *url* for *community*'s *events*; the returned endpoint's secret is shown to
    the moderator once."""
    permissions.require_can_manage_webhooks(user=by, community=community)
    url = (url or "").strip()
    errors = {}
    if len(url) > 500:
        errors["url"] = "Use a URL of at most 500 characters."
    else:
        try:
            webhook_http.check_url(url)
        except webhook_http.UnsafeURL as error:
            errors["url"] = str(error)
    try:
        event_text = _clean_events(events)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        count = WebhookEndpoint.objects.select_for_update().filter(community=community).count()
        if count >= MAX_ENDPOINTS_PER_COMMUNITY:
            raise ValidationError(
                f"A community has at most {MAX_ENDPOINTS_PER_COMMUNITY} webhooks; delete one first."
            )
        return WebhookEndpoint.objects.create(
            community=community,
            created_by=by,
            url=url,
            description=(description or "").strip()[:100],
            events=event_text,
            secret=SECRET_PREFIX + secrets.token_urlsafe(32),
            created_at=at or timezone.now(),
        )


def endpoint_update(
    *, endpoint: WebhookEndpoint, by, url=None, events=None, description=None
) -> WebhookEndpoint:
    """Change what *endpoint* receives and where (``None`` leaves a field as it is); a new URL
    is checked as at registration."""
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    errors, fields = {}, []
    if url is not None:
        url = url.strip()
        if len(url) > 500:
            errors["url"] = "Use a URL of at most 500 characters."
        else:
            try:
                webhook_http.check_url(url)
            except webhook_http.UnsafeURL as error:
                errors["url"] = str(error)
        endpoint.url = url
        fields.append("url")
    if events is not None:
        try:
            endpoint.events = _clean_events(events)
        except ValidationError as error:
            errors.update(error.message_dict)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()[:100]
        fields.append("description")
    if errors:
        endpoint.refresh_from_db()
        raise ValidationError(errors)
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """Give *endpoint* a new secret (shown once); deliveries are signed with it from now on."""
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    endpoint.secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint.save(update_fields=["secret"])
    return endpoint


def endpoint_switch_off(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """Stop deliveries to *endpoint* until a moderator switches it on again (idempotent)."""
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason="switched off by a moderator"
    )
    endpoint.refresh_from_db(fields=["is_active", "disabled_at", "disabled_reason"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, by) -> None:
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    endpoint.delete()


def endpoint_enable(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """Switch a disabled endpoint back on; it now carries *by*'s rights."""
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    endpoint.is_active, endpoint.consecutive_failures = True, 0
    endpoint.disabled_at, endpoint.disabled_reason = None, ""
    endpoint.created_by = by
    endpoint.save(
        update_fields=[
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_by",
        ]
    )
    return endpoint


def _endpoint_disable(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> None:
    """Switch the endpoint off and tell the community's moderators by email (outbox)."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:200]
    )
    if not changed:
        return
    community = endpoint.community
    addresses = [m.user.email for m in community_moderators(community=community) if m.user.email]
    if not addresses:
        return
    page = settings.SITE_URL + reverse("api:webhook", args=[community.slug, endpoint.pk])
    email_queue(
        message=EmailMessage(
            subject=f"[{community.name}] A webhook was switched off",
            body=(
                f"The webhook to {endpoint.url} in {community.name} was switched off: {reason}\n\n"
                f"Its delivery log and the button to switch it on again: {page}\n"
            ),
            to=addresses,
        )
    )


# --- events ---------------------------------------------------------------------------------------


def _deliveries_for(endpoints, *, community_id, event, subject, object_id, occurred_at, now):
    return [
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            subject=subject,
            object_id=object_id,
            uuid=uuid.uuid4(),
            occurred_at=occurred_at,
            created_at=now,
        )
        for endpoint in endpoints.get(community_id, ())
        # Only what happened after the endpoint was registered: an edit of an old thread is
        # no "thread created".
        if event in endpoint.event_set and occurred_at >= endpoint.created_at
    ]


def _threads(ids: dict, communities: list, now: datetime):
    return Thread.objects.filter(
        pk__in=list(ids["thread"]), community_id__in=communities, is_hidden=False
    ).only("pk", "community_id", "created_at", "accepted_post_id", "accepted_at")


def _answers(ids: dict, communities: list, now: datetime):
    return Post.objects.filter(
        pk__in=list(ids["post"]),
        community_id__in=communities,
        is_answer=True,
        is_hidden=False,
        thread__is_hidden=False,
    ).only("pk", "community_id", "created_at")


def _published_items(ids: dict, communities: list, now: datetime):
    return Item.objects.filter(
        pk__in=list(ids["item"]), community_id__in=communities, state=Item.State.PUBLISHED
    ).only("pk", "community_id", "published_at")


def _joins(ids: dict, communities: list, now: datetime):
    ACTIVE = Membership.State.ACTIVE
    return (
        MembershipEvent.objects.filter(
            user_id__in=list(ids["user"]),
            community_id__in=communities,
            to_state=ACTIVE,
            occurred_at__gte=now - JOIN_WINDOW,
        )
        .exclude(from_state=ACTIVE)
        .only("pk", "community_id", "occurred_at")
    )


def _accepted(thread: Thread):
    if thread.accepted_post_id is None:
        return None
    # Accepted again after an unaccept: a new event (the time is in the subject).
    subject = f"accept:{thread.accepted_post_id}:{int(thread.accepted_at.timestamp())}"
    return subject, thread.accepted_post_id, thread.accepted_at


# Where each event is found: the rows (visible to the members only) among the changed ids, and
# per row the event's (subject, object id, time), or None when the row makes no such event.
# One query per source, however many events it feeds.
EVENT_SOURCES = (
    (
        _threads,
        (
            (Event.THREAD_CREATED, lambda t: (f"thread:{t.pk}", t.pk, t.created_at)),
            (Event.ANSWER_ACCEPTED, _accepted),
        ),
    ),
    (_answers, ((Event.ANSWER_POSTED, lambda p: (f"post:{p.pk}", p.pk, p.created_at)),)),
    (
        _published_items,
        ((Event.ITEM_PUBLISHED, lambda i: (f"item:{i.pk}", i.pk, i.published_at)),),
    ),
    (_joins, ((Event.MEMBER_JOINED, lambda j: (f"join:{j.pk}", j.pk, j.occurred_at)),)),
)


def events_detect(
    *, thread_ids=(), post_ids=(), item_ids=(), user_ids=(), at: datetime | None = None
) -> int:
    """Turn changed ids into deliveries for the endpoints that want them; enqueue the new ones.

    Only content the community's members see (not hidden, published) makes an event; the same
    event twice makes one delivery. Return the number of deliveries enqueued.
    """
    now = at or timezone.now()
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        endpoints.setdefault(endpoint.community_id, []).append(endpoint)
    if not endpoints:
        return 0
    communities = list(endpoints)
    ids = {"thread": thread_ids, "post": post_ids, "item": item_ids, "user": user_ids}
    rows: list[WebhookDelivery] = []
    for source, events in EVENT_SOURCES:
        for row in source(ids, communities, now):
            for event, describe in events:
                found = describe(row)
                if found is None:
                    continue
                subject, object_id, occurred_at = found
                rows += _deliveries_for(
                    endpoints,
                    community_id=row.community_id,
                    event=event,
                    subject=subject,
                    object_id=object_id,
                    occurred_at=occurred_at,
                    now=now,
                )
    if not rows:
        return 0
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        # The rows this call made (a duplicate kept the first one's uuid).
        new_ids = list(
            WebhookDelivery.objects.filter(uuid__in=[row.uuid for row in rows]).values_list(
                "pk", flat=True
            )
        )
        enqueue_each_on_commit(DELIVER_TASK, [{"delivery_id": pk, "attempt": 1} for pk in new_ids])
    return len(new_ids)


# --- deliveries -----------------------------------------------------------------------------------

# A delivery still pending this long after it was made lost its message (a broker down at the
# enqueue, a worker killed mid-attempt): its attempts, backoff and timeouts take ~17 minutes.
STRANDED_AFTER = timedelta(minutes=30)
# Per sweep: a backlog is worked off over a few runs rather than in one burst.
SWEEP_BATCH = 500


def _finish(delivery_id: int, *, state: str, error: str = "", now: datetime) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=state, error=error[:300], finished_at=now
    )


def delivery_attempt(*, delivery_id: int, attempt: int) -> int | None:
    """Send attempt number *attempt* of the delivery; return the seconds to wait before the
    next attempt, or None when the delivery is over (delivered, failed, skipped).

    Idempotent: an attempt is claimed by one conditional UPDATE, so a task run twice (a
    redelivered message) sends once.
    """
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=State.PENDING, attempts=attempt - 1
    ).update(attempts=attempt)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related(
        "endpoint__community", "endpoint__created_by"
    ).get(pk=delivery_id)
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.is_active:
        _finish(delivery_id, state=State.SKIPPED, error="endpoint switched off", now=now)
        return None
    if not permissions.webhook_creator_may_receive(endpoint):
        # Its creator lost the role (or the account): nothing more of this community goes out
        # on their word; another moderator can switch it on again as theirs.
        _finish(delivery_id, state=State.SKIPPED, error="creator no longer moderates", now=now)
        return None
    payload = selectors.webhook_payload(delivery=delivery)
    if payload is None:
        _finish(
            delivery_id, state=State.SKIPPED, error="no longer visible in the community", now=now
        )
        return None
    body = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Practica-Event": delivery.event,
        "X-Practica-Delivery": str(delivery.uuid),
        "X-Practica-Timestamp": str(timestamp),
        "X-Practica-Signature": sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    answer = webhook_http.post(endpoint.url, body=body, headers=headers)
    done = timezone.now()
    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery_id=delivery_id,
            number=attempt,
            at=now,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error[:300],
        )
        fields = {
            "status_code": answer.status_code,
            "duration_ms": answer.duration_ms,
            "error": answer.error[:300],
        }
        if ok:
            WebhookDelivery.objects.filter(pk=delivery_id).update(
                state=State.DELIVERED, finished_at=done, **fields
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            return None
        if attempt < MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery_id).update(**fields)
            return retry_countdown(attempt)
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            state=State.FAILED, finished_at=done, **fields
        )
        if attempt > MAX_ATTEMPTS:
            return None  # a moderator's redelivery of a failed delivery: no new failure streak
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        endpoint.refresh_from_db(fields=["consecutive_failures"])
        if endpoint.consecutive_failures >= disable_after():
            _endpoint_disable(
                endpoint,
                reason=(
                    f"{endpoint.consecutive_failures} deliveries in a row failed all "
                    f"{MAX_ATTEMPTS} attempts (last: {answer.error or answer.status_code})"
                ),
                now=done,
            )
    return None


def delivery_redeliver(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """Send a finished delivery again (same id and body rules, a new signature): one more
    attempt, numbered after the last, and the retries left if it had not used them all.

    Idempotent: a delivery already pending is left alone (its attempt is on its way).
    """
    endpoint = delivery.endpoint
    permissions.require_can_manage_webhooks(user=by, community=endpoint.community)
    if not endpoint.is_active:
        raise ValidationError("This webhook is switched off; switch it on before redelivering.")
    with transaction.atomic():
        reopened = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(state=State.PENDING)
        attempts = reopened.values_list("attempts", flat=True).first()
        if attempts is not None and reopened.filter(attempts=attempts).update(
            state=State.PENDING, finished_at=None, error=""
        ):
            enqueue_each_on_commit(
                DELIVER_TASK, [{"delivery_id": delivery.pk, "attempt": attempts + 1}]
            )
    delivery.refresh_from_db()
    return delivery


def deliveries_sweep(*, at: datetime | None = None) -> int:
    """Enqueue the next attempt of each stranded delivery (or fail it when none is left);
    return how many were enqueued. Beat runs it (``api.webhook_deliveries_sweep``)."""
    now = at or timezone.now()
    stranded = list(
        WebhookDelivery.objects.filter(
            state=State.PENDING, created_at__lt=now - STRANDED_AFTER
        ).values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    # A pending delivery whose last claimed attempt is in the log is waiting for its next
    # attempt (a retry, or a moderator's redelivery of a failed one): that message was lost.
    # One whose last claimed attempt never got into the log died mid-attempt.
    recorded = set(
        WebhookAttempt.objects.filter(
            delivery_id__in=[pk for pk, _ in stranded], number=F("delivery__attempts")
        ).values_list("delivery_id", flat=True)
    )
    retry = []
    for pk, attempts in stranded:
        if attempts >= MAX_ATTEMPTS and pk not in recorded:
            WebhookDelivery.objects.filter(pk=pk, state=State.PENDING, attempts=attempts).update(
                state=State.FAILED, error="no answer recorded for the last attempt", finished_at=now
            )
        else:
            retry.append({"delivery_id": pk, "attempt": attempts + 1})
    enqueue_each_on_commit(DELIVER_TASK, retry)
    return len(retry)
