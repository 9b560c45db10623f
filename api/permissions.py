"""Who may manage which access token, and which scopes an API call needs.

The content's own rules stay in the content apps' ``permissions`` modules; a token only ever
narrows what its member may do (its scopes), never widens it.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from api.models import AccessToken, WebhookDelivery, WebhookEndpoint
from communities.models import Community
from communities.permissions import access_community_content, can_moderate, is_admin


class NotAuthenticated(Exception):
    """The call needs a signed-in caller (a token or a session): answered 401."""


def can_manage_tokens(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def require_can_manage_tokens(*, user) -> None:
    if not can_manage_tokens(user):
        raise PermissionDenied("Sign in to manage access tokens.")


def can_revoke_token(user, token: AccessToken) -> bool:
    return user.is_authenticated and (token.user_id == user.pk or is_admin(user))


def require_can_revoke_token(*, user, token: AccessToken) -> None:
    if not can_revoke_token(user, token):
        raise PermissionDenied("You cannot revoke this token.")


def member_tokens(user):
    """The tokens *user* owns (none for anonymous)."""
    if not user.is_authenticated:
        return AccessToken.objects.none()
    return AccessToken.objects.filter(user=user)


def access_token(*, user, token_id) -> AccessToken:
    """One of *user*'s own tokens; anyone else's (or none) is a 404."""
    token = member_tokens(user).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token


def require_scope(*, caller, scope: str) -> None:
    """Refuse a call whose token lacks *scope* (a session holds every scope; an anonymous
    caller only reads)."""
    if scope in caller.scopes:
        return
    if not caller.user.is_authenticated:
        raise NotAuthenticated("Sign in or send a personal access token to do this.")
    raise PermissionDenied(f"This token lacks the '{scope}' scope.")


def require_signed_in(*, caller) -> None:
    """Refuse (401) a call about the caller's own things (memberships, notifications) made
    without credentials."""
    if not caller.user.is_authenticated:
        raise NotAuthenticated("Sign in or send a personal access token to do this.")


# --- webhooks: a community's moderators manage its endpoints -------------------------------------


def can_manage_webhooks(user, community: Community) -> bool:
    return bool(user.is_authenticated and can_moderate(user, community))


def require_can_manage_webhooks(*, user, community: Community) -> None:
    if not can_manage_webhooks(user, community):
        raise PermissionDenied("Only this community's moderators can manage its webhooks.")


def access_webhooks_community(*, user, slug: str) -> Community:
    """The community whose webhooks *user* manages: hidden (404) if its content is, refused
    (403) to a reader who does not moderate it."""
    community = access_community_content(user=user, slug=slug)
    require_can_manage_webhooks(user=user, community=community)
    return community


def access_webhook_endpoint(*, user, slug: str, endpoint_id) -> WebhookEndpoint:
    community = access_webhooks_community(user=user, slug=slug)
    endpoint = WebhookEndpoint.objects.filter(community=community, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    endpoint.community = community
    return endpoint


def access_managed_webhooks(*, user, slug: str) -> Community:
    """The API's way in: the community whose webhooks *user* manages, and a 404 for everyone
    else (a member who does not moderate included: through the API a community's webhooks,
    their URLs and deliveries, are not even known to exist)."""
    community = access_community_content(user=user, slug=slug)
    if not can_manage_webhooks(user, community):
        raise Http404("No such community.")
    return community


def access_managed_webhook(*, user, slug: str, endpoint_id) -> WebhookEndpoint:
    """One webhook of a community *user* manages (404 for anyone else, as above)."""
    community = access_managed_webhooks(user=user, slug=slug)
    endpoint = WebhookEndpoint.objects.filter(community=community, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    endpoint.community = community
    return endpoint


def access_webhook_delivery(*, endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    """One delivery of *endpoint* (already checked); another endpoint's or none is a 404."""
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery.")
    delivery.endpoint = endpoint
    return delivery


def webhook_creator_may_receive(endpoint: WebhookEndpoint) -> bool:
    """Whether the endpoint still carries its creator's rights: an active account that
    moderates the community now (checked at every delivery, not only at registration)."""
    creator = endpoint.created_by
    return bool(
        creator is not None and creator.is_active and can_moderate(creator, endpoint.community)
    )
