"""Notifications in the app, email settings and unsubscribe links. Views are thin: the
gatekeeper, one service or selector call, render or redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.pagination import paginate
from core.redirects import local_url
from notifications import email as notification_email
from notifications import selectors
from notifications.forms import NotificationSettingsForm
from notifications.services import notifications_mark_read
from notifications.settings_panels import settings_panels

# --- in the app --------------------------------------------------------------------------------


@login_required
def notification_list_view(request):
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "notifications/list.html", {"page": page})


@login_required
def notification_open_view(request, notification_id):
    notification = selectors.notification_for(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(local_url(notification.url) or reverse("notifications:notifications"))


@login_required
@require_POST
def notifications_read_all_view(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:notifications")


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
        return redirect("notifications:notification_settings")
    context = {"form": form, "panels": settings_panels(user=user)}
    return render(request, "notifications/settings.html", context)


# --- unsubscribe without logging in ------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail programs POST without a CSRF token; the signed token is the proof.
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request, token):
    unsubscribe = notification_email.unsubscribe_read(token)
    if unsubscribe is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    context = {"unsubscribe": unsubscribe, "token": token}
    if request.method == "POST":
        notification_email.unsubscribe_apply(unsubscribe=unsubscribe)
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)
