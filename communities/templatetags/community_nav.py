"""Template tags for the community header's tabs and the links to the apps above."""

import threading
from collections import OrderedDict

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.safestring import SafeString

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


# The community header is the same for every reader of the same kind: rendered once per process
# for each (community as shown, kind of reader, tab, address prefix, language), since every
# community page shows it and its template loops cost more than the rest of some pages.
HEADER_TEMPLATE = "communities/_community_header_body.html"
HEADER_ENTRIES = 1024
_headers: OrderedDict = OrderedDict()
_headers_lock = threading.Lock()


@register.simple_tag(takes_context=True)
def community_header(context, community) -> SafeString:
    """The header of *community*'s pages for this reader: its name, domain and tabs (the
    moderators' tabs only where the page's ``can_moderate`` is true)."""
    needs_2fa = asks_moderator_for_2fa(context, community)
    can_view, can_moderate = bool(context.get("can_view")), bool(context.get("can_moderate"))
    active_tab = context.get("active_tab")
    # Everything the template shows, so a rename or a new visibility is a new entry.
    key = (
        community.pk, community.name, community.slug, community.domain, community.visibility,
        can_view, can_moderate, active_tab, needs_2fa,
        get_script_prefix(), get_urlconf(), translation.get_language(),
        tuple(community_tabs()),  # a tab registered later (tests) is a new entry
    )  # fmt: skip
    with _headers_lock:
        html = _headers.get(key)
        if html is not None:
            _headers.move_to_end(key)
            return html
    html = SafeString(
        get_template(HEADER_TEMPLATE).render(
            {
                "community": community,
                "can_view": can_view,
                "can_moderate": can_moderate,
                "active_tab": active_tab,
                "needs_2fa": needs_2fa,
            }
        )
    )
    with _headers_lock:
        _headers[key] = html
        while len(_headers) > HEADER_ENTRIES:
            _headers.popitem(last=False)
    return html


def forget_community_headers() -> None:
    """Empty this process's rendered headers (tests that change the tabs)."""
    with _headers_lock:
        _headers.clear()
