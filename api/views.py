"""The member's access-token settings (list, create with the secret shown once, revoke) and
a community's webhooks page for its moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import permissions, selectors, services, webhooks
from api.forms import TokenCreateForm, WebhookCreateForm
from core.forms import add_service_error


@never_cache
@login_required
def token_settings_view(request):
    form = TokenCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expiry(),
                request=request,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = TokenCreateForm()
    context = {
        "form": form,
        "created": created,
        "tokens": selectors.token_list(user=request.user),
        "now": timezone.now(),
    }
    # The secret is rendered into this one answer (no redirect): it is stored nowhere.
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke_view(request, token_id):
    token = permissions.access_token(user=request.user, token_id=token_id)
    services.token_revoke(token=token, by=request.user, request=request)
    messages.success(request, f"Token “{token.name}” is revoked; calls with it now fail.")
    return redirect("api:tokens")


# --- webhooks: the community's moderators' page ---------------------------------------------------


@never_cache
@login_required
def webhooks_view(request, slug):
    community = permissions.access_webhooks_community(user=request.user, slug=slug)
    form = WebhookCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhooks.endpoint_create(
                community=community, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = WebhookCreateForm()
    context = {
        "community": community,
        "form": form,
        "created": created,
        "endpoints": selectors.webhook_endpoints(community=community),
    }
    # The secret is rendered into this one answer (no redirect), as a new token is.
    return render(request, "api/webhooks.html", context)


@never_cache
@login_required
def webhook_detail_view(request, slug, endpoint_id):
    endpoint = permissions.access_webhook_endpoint(
        user=request.user, slug=slug, endpoint_id=endpoint_id
    )
    context = {
        "community": endpoint.community,
        "endpoint": endpoint,
        "deliveries": selectors.webhook_deliveries(endpoint=endpoint),
    }
    return render(request, "api/webhook_detail.html", context)


@login_required
@require_POST
def webhook_delete_view(request, slug, endpoint_id):
    endpoint = permissions.access_webhook_endpoint(
        user=request.user, slug=slug, endpoint_id=endpoint_id
    )
    webhooks.endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, f"The webhook to {endpoint.url} is deleted.")
    return redirect("api:webhooks", slug=slug)


@login_required
@require_POST
def webhook_enable_view(request, slug, endpoint_id):
    endpoint = permissions.access_webhook_endpoint(
        user=request.user, slug=slug, endpoint_id=endpoint_id
    )
    webhooks.endpoint_enable(endpoint=endpoint, by=request.user)
    messages.success(request, f"The webhook to {endpoint.url} is on again, on your rights.")
    return redirect("api:webhook", slug=slug, endpoint_id=endpoint.pk)
