"""Following communities and tags (threads are followed from the thread page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from communities import permissions
from core.redirects import local_url
from practice.selectors import follows as selectors
from practice.services import follows


def _next_or(request, default: str) -> str:
    return local_url(request.POST.get("next", "")) or default


@login_required
@require_POST
def community_follow_view(request, slug):
    community = permissions.access_community_content(user=request.user, slug=slug)
    permissions.require_can_follow(user=request.user, community=community)
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
    permissions.require_can_follow(user=request.user, community=community)
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
