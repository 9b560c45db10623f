"""Notifications in the app, email settings, unsubscribe links, and following communities and
tags. Views are thin: the gatekeeper, one service or selector call, render or redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from communities import permissions
from core.pagination import paginate
from practice.forms.notifications import NotificationSettingsForm
from practice.selectors import notifications as selectors
from practice.services import follows, notification_email
from practice.services.notifications import notifications_mark_read


def _local_url(url: str) -> str | None:
    """Return *url* if it is a path on this site (never another host, scheme or ``//``)."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return url
    return None


def _next_or(request, default: str) -> str:
    return _local_url(request.POST.get("next", "")) or default


# --- in the app --------------------------------------------------------------------------------


@login_required
def notification_list_view(request):
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "practice/notifications/list.html", {"page": page})


@login_required
def notification_open_view(request, notification_id):
    notification = selectors.notification_for(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(_local_url(notification.url) or reverse("practice:notifications"))


@login_required
@require_POST
def notifications_read_all_view(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("practice:notifications")


@login_required
def notification_settings_view(request):
    user = request.user
    form = NotificationSettingsForm(
        request.POST or None,
        deliveries=notification_email.deliveries_by_user(user_ids=[user.pk])[user.pk],
        communities=selectors.digest_communities(user=user),
        subscribed=selectors.digest_community_ids(user=user),
    )
    if request.method == "POST" and form.is_valid():
        notification_email.notification_settings_save(
            user=user, deliveries=form.deliveries(), digest_communities=form.cleaned_data["digests"]
        )
        messages.success(request, "Your notification settings are saved.")
        return redirect("practice:notification_settings")
    context = {"form": form, "followed": selectors.followed(user=user)}
    return render(request, "practice/notifications/settings.html", context)


# --- unsubscribe without logging in ------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail programs POST without a CSRF token; the signed token is the proof.
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request, token):
    unsubscribe = notification_email.unsubscribe_read(token)
    if unsubscribe is None:
        return render(request, "practice/notifications/unsubscribe_invalid.html", status=400)
    context = {"unsubscribe": unsubscribe, "token": token}
    if request.method == "POST":
        notification_email.unsubscribe_apply(unsubscribe=unsubscribe)
        return render(request, "practice/notifications/unsubscribe_done.html", context)
    return render(request, "practice/notifications/unsubscribe.html", context)


# --- following communities and tags ------------------------------------------------------------


def _require_can_follow(request, community) -> None:
    if not permissions.can_follow(request.user, community):
        raise PermissionDenied("You cannot follow this community.")


@login_required
@require_POST
def community_follow_view(request, slug):
    community = permissions.access_community_content(user=request.user, slug=slug)
    _require_can_follow(request, community)
    if request.POST.get("follow") == "0":
        follows.community_unfollow(user=request.user, community=community)
        messages.success(request, f"You no longer follow {community.name}.")
    else:
        follows.community_follow(user=request.user, community=community)
        messages.success(request, f"You follow {community.name}: you will hear of new threads.")
    return redirect(_next_or(request, community.get_absolute_url()))


@login_required
@require_POST
def tag_follow_view(request, slug, tag):
    community = permissions.access_community_content(user=request.user, slug=slug)
    _require_can_follow(request, community)
    thread_tag = selectors.community_tag(user=request.user, community=community, name=tag)
    if thread_tag is None:
        raise Http404("No such tag.")
    if request.POST.get("follow") == "0":
        follows.tag_unfollow(user=request.user, community=community, tag=thread_tag)
        messages.success(request, f"You no longer follow “{thread_tag.name}” in {community.name}.")
    else:
        follows.tag_follow(user=request.user, community=community, tag=thread_tag)
        messages.success(
            request, f"You follow “{thread_tag.name}” in {community.name}: new threads reach you."
        )
    return redirect(_next_or(request, community.get_absolute_url()))
