"""Reads for the token settings page and the webhooks (the moderators' page, the payloads)."""

from django.conf import settings
from django.db.models import QuerySet

from api import permissions
from api.models import AccessToken, WebhookDelivery, WebhookEndpoint
from communities.models import Membership, MembershipEvent, display_name
from knowledge.models import Item
from practice.models import Post, Thread


def token_list(*, user) -> QuerySet[AccessToken]:
    """*user*'s tokens, live ones first, newest first."""
    return permissions.member_tokens(user).order_by("revoked_at", "-created_at", "-pk")


def member_memberships(*, user) -> QuerySet[Membership]:
    """*user*'s own memberships that still mean something (active, pending, banned): one's own
    rows, which the member may always see (a pending or banned row names only the community,
    as the directory does)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    State = Membership.State
    return Membership.objects.filter(
        user=user, state__in=[State.ACTIVE, State.PENDING, State.BANNED]
    )


# --- webhooks -------------------------------------------------------------------------------------


def webhook_endpoints(*, community) -> QuerySet[WebhookEndpoint]:
    """The community's endpoints for its moderators' page, with their creators' names."""
    return WebhookEndpoint.objects.filter(community=community).select_related("created_by__profile")


def webhook_deliveries(*, endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, each with its attempts (two queries)."""
    return list(
        endpoint.deliveries.prefetch_related("tries").order_by("-created_at", "-pk")[:limit]
    )


def webhook_delivery_log(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """All of the endpoint's deliveries with their attempts (for the API's paged log)."""
    return endpoint.deliveries.prefetch_related("tries")


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _thread_data(thread: Thread) -> dict:
    return {
        "id": thread.pk,
        "kind": thread.kind,
        "title": thread.title,
        "url": _absolute(thread.get_absolute_url()),
        "author": display_name(thread.author),
        "created_at": thread.created_at,
    }


def _post_data(post: Post) -> dict:
    return {
        "id": post.pk,
        "url": _absolute(post.get_absolute_url()),
        "author": display_name(post.author),
        "created_at": post.created_at,
    }


def _thread_event(delivery: WebhookDelivery) -> dict | None:
    thread = (
        Thread.objects.filter(pk=delivery.object_id, is_hidden=False)
        .select_related("community", "author__profile")
        .first()
    )
    return {"thread": _thread_data(thread)} if thread else None


def _answer_event(delivery: WebhookDelivery) -> dict | None:
    post = (
        Post.objects.filter(pk=delivery.object_id, is_hidden=False, thread__is_hidden=False)
        .select_related("thread__community", "thread__author__profile", "author__profile")
        .first()
    )
    if post is None:
        return None
    data = {"thread": _thread_data(post.thread), "answer": _post_data(post)}
    if delivery.event == WebhookEndpoint.Event.ANSWER_ACCEPTED:
        if post.thread.accepted_post_id != post.pk:
            return None  # unaccepted since
        data["accepted_at"] = post.thread.accepted_at
    return data


def _item_event(delivery: WebhookDelivery) -> dict | None:
    item = (
        Item.objects.filter(pk=delivery.object_id, state=Item.State.PUBLISHED)
        .select_related("community")
        .first()
    )
    if item is None:
        return None
    return {
        "item": {
            "id": item.pk,
            "kind": item.kind,
            "title": item.title,
            "url": _absolute(item.get_absolute_url()),
            "published_at": item.published_at,
        }
    }


def _member_event(delivery: WebhookDelivery) -> dict | None:
    event = (
        MembershipEvent.objects.filter(
            pk=delivery.object_id, membership__state=Membership.State.ACTIVE
        )
        .select_related("user__profile")
        .first()
    )
    if event is None:
        return None
    # The display name only: never the username's address or anything from the account.
    return {"member": {"name": display_name(event.user)}, "joined_at": event.occurred_at}


_EVENT_DATA = {
    WebhookEndpoint.Event.THREAD_CREATED: _thread_event,
    WebhookEndpoint.Event.ANSWER_POSTED: _answer_event,
    WebhookEndpoint.Event.ANSWER_ACCEPTED: _answer_event,
    WebhookEndpoint.Event.ITEM_PUBLISHED: _item_event,
    WebhookEndpoint.Event.MEMBER_JOINED: _member_event,
}


def webhook_payload(*, delivery: WebhookDelivery) -> dict | None:
    """The body of *delivery* as the community's members would see it now, or None when its
    subject is no longer visible to them (hidden, unpublished, unaccepted, gone).

    Ids, titles, URLs and display names only: no bodies, no addresses, no model dumps.
    """
    data = _EVENT_DATA[delivery.event](delivery)
    if data is None:
        return None
    community = delivery.endpoint.community
    return {
        "id": str(delivery.uuid),
        "event": delivery.event,
        "occurred_at": delivery.occurred_at,
        "community": {
            "id": community.pk,
            "slug": community.slug,
            "name": community.name,
            "url": _absolute(community.get_absolute_url()),
        },
        "data": data,
    }
