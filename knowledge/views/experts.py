"""Who knows what: experts per tag in a community."""

from django.shortcuts import render
from django.utils.safestring import SafeString

from communities import permissions as community_permissions
from knowledge import permissions
from knowledge.fragments import tag_sections
from knowledge.selectors import experts as selectors


def experts_view(request, slug):
    community = permissions.access_experts(user=request.user, slug=slug)
    tag = request.GET.get("tag", "")[:100]
    page = selectors.community_experts(community=community, viewer=request.user, tag=tag)
    context = {
        "community": community,
        "can_view": True,
        "can_moderate": community_permissions.can_moderate(request.user, community),
        "active_tab": "experts",
        "page": page,
        # What {% for %} wrote around each section, joined here (60 sections a page).
        "sections_html": SafeString(
            "".join(f"\n  {section}\n  " for section in tag_sections(page, community=community))
        ),
        "tag": tag,
        "scoring": {
            "accepted": selectors.ACCEPTED_POINTS,
            "helpful": selectors.HELPFUL_POINTS,
            "cap": selectors.HELPFUL_CAP_PER_ANSWER,
            "item": selectors.ITEM_POINTS,
            "edit": selectors.EDIT_POINTS,
            "threshold": selectors.EXPERT_MIN_SCORE,
        },
    }
    return render(request, "knowledge/experts.html", context)
