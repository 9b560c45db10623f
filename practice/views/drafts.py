"""Saving and discarding drafts: autosaved by drafts.js, discarded by a button (no JS needed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from communities import permissions as community_permissions
from practice import permissions
from practice.models.drafts import NEW_THREAD
from practice.services import drafts as services


def _place(request, slug):
    """The community and thread (None for a new thread) named by the POSTed ``place``; a
    place the member may not see is a 404, a malformed one None."""
    place = request.POST.get("place", "")
    if place == NEW_THREAD:
        community = community_permissions.access_community_content(user=request.user, slug=slug)
        return community, None
    if place.isdigit() and len(place) < 19:
        thread = permissions.access_thread(
            user=request.user, slug=slug, thread_id=int(place), related=("community",)
        )
        return thread.community, thread
    return None


@login_required
@require_POST
def draft_save_view(request, slug):
    found = _place(request, slug)
    if found is None:
        return JsonResponse({"error": "Unknown place for a draft."}, status=400)
    community, thread = found
    try:
        services.draft_save(
            user=request.user,
            community=community,
            thread=thread,
            body=request.POST.get("body", ""),
            title=request.POST.get("title", ""),
            tags=request.POST.get("tags", ""),
        )
    except PermissionDenied as error:
        return JsonResponse({"error": str(error) or "You cannot post here."}, status=403)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return HttpResponse(status=204)


@login_required
@require_POST
def draft_discard_view(request, slug):
    found = _place(request, slug)
    if found is None:
        return JsonResponse({"error": "Unknown place for a draft."}, status=400)
    community, thread = found
    services.draft_discard(user=request.user, community=community, thread=thread)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    messages.success(request, "Your draft is discarded.")
    if thread is None:
        return redirect("practice:thread_new", slug=community.slug)
    return redirect(reverse("practice:thread", args=[community.slug, thread.pk]) + "#reply")
