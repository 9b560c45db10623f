"""Template tags for the community header's tabs and the links to the apps above."""

from django import template
from django.urls import reverse

from communities.permissions import moderator_needs_2fa
from communities.tabs import community_link_url_name, community_tab_urls, community_tabs

register = template.Library()

PRIMARY_TABS = 4


@register.simple_tag(takes_context=True)
def community_header_tabs(context, community) -> dict:
    """Return the header's tabs as ``{"everyone": [...], "moderators": [...]}``, each tab a dict
    of url, label and current; moderators' tabs only where the page's ``can_moderate`` is true."""
    active_tab = context.get("active_tab")
    can_moderate = context.get("can_moderate")
    shown = {"everyone": [], "moderators": []}
    urls = community_tab_urls(community.slug)
    for tab in community_tabs():
        if tab.moderators_only and not can_moderate:
            continue
        shown["moderators" if tab.moderators_only else "everyone"].append(
            {
                "url": urls[tab.name],
                "label": tab.label,
                "current": tab.is_active(active_tab),
            }
        )
    # On a phone the tabs after the first PRIMARY_TABS and the moderators' go into one "More"
    # menu (a <details>: no script), so the header keeps to a row or two.
    shown["secondary"] = shown["everyone"][PRIMARY_TABS:]
    shown["more_current"] = any(t["current"] for t in shown["secondary"] + shown["moderators"])
    return shown


@register.simple_tag
def community_link(name, *args) -> str:
    """Return the URL an app above registered under *name*, or "" when none did."""
    url_name = community_link_url_name(name)
    return reverse(url_name, args=args) if url_name else ""


@register.simple_tag(takes_context=True)
def asks_moderator_for_2fa(context, community) -> bool:
    """Is the viewer a moderator here who must set up two-factor sign-in to moderate?"""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not community.moderators_need_2fa:
        return False
    return moderator_needs_2fa(user, community)
