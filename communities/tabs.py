"""The tabs of a community's header and the links its pages make to the apps above.

Communities cannot name the URLs of practice, knowledge or metrics (they stand above it), so
those apps register their tabs and links from ``ready()``; the header
(``communities/_community_header.html``) shows the tabs in *order*, and pages ask for a link by
its name with the ``community_link`` template tag (``communities.templatetags.community_nav``).
"""

from dataclasses import dataclass
from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class CommunityTab:
    """A tab linking to *url_name* (reversed with the community's slug).

    It is marked current when the page's ``active_tab`` is one of *active_tabs* (its *name*
    when empty). Moderators-only tabs show where the page's ``can_moderate`` is true, after the
    others, as the header always did.
    """

    name: str
    label: str
    url_name: str
    order: int
    moderators_only: bool = False
    active_tabs: tuple[str, ...] = ()

    def is_active(self, active_tab: str | None) -> bool:
        return active_tab in (self.active_tabs or (self.name,))


_tabs: dict[str, CommunityTab] = {}
_links: dict[str, str] = {}


def register_community_tab(tab: CommunityTab) -> None:
    _tabs[tab.name] = tab
    _tab_urls.cache_clear()


@lru_cache(maxsize=4096)
def _tab_urls(slug: str, script_prefix: str, urlconf) -> dict[str, str]:
    # reverse() reads the thread's script prefix and URLconf: both are part of the key.
    return {tab.name: reverse(tab.url_name, args=[slug]) for tab in _tabs.values()}


def community_tab_urls(slug: str) -> dict[str, str]:
    """Every tab's address for community *slug*, by tab name, reversed once per process (per
    slug, script prefix and URLconf) instead of on every page that shows the header."""
    return _tab_urls(slug, get_script_prefix(), get_urlconf())


def community_tabs() -> list[CommunityTab]:
    return sorted(_tabs.values(), key=lambda tab: tab.order)


def register_community_link(name: str, url_name: str) -> None:
    """Let communities' pages link to *url_name* under *name* (e.g. ``"knowledge.experts"``)."""
    _links[name] = url_name


def community_link_url_name(name: str) -> str | None:
    return _links.get(name)


# Communities' own tabs.
register_community_tab(CommunityTab("home", "About", "communities:home", order=10))
register_community_tab(CommunityTab("members", "Members", "communities:members", order=40))
register_community_tab(
    CommunityTab(
        "moderate",
        "Requests & invitations",
        "communities:moderate",
        order=90,
        moderators_only=True,
    )
)
