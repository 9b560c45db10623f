"""The content-health queue for moderators."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from knowledge import permissions
from knowledge.selectors.health import health_queue


@login_required
def health_view(request, slug):
    community = permissions.access_health(user=request.user, slug=slug)
    context = {
        "community": community,
        "can_view": True,
        "can_moderate": True,
        "active_tab": "library",
        "queue": health_queue(community=community),
    }
    return render(request, "knowledge/health.html", context)
