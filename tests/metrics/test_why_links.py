"""Every figure that names people links to the privacy page's explanation of that figure
("Why am I seeing this?", issue #15, being analysed): on the dashboard, the network, the
members' page, My network, Who knows what and a question's likely answerers. A named person
anywhere in those pages sits inside a section, figure or list that carries the link, and each
link lands on an explanation that exists."""

import lxml.html
import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from communities.models import Membership
from tests.factories import CommunityFactory, make_member
from tests.metrics.dashboard_data import make_members, write_snapshot

pytestmark = pytest.mark.django_db
# The elements a figure lives in: a name's own list (<details>, <aside>) or, at the latest, the
# nearest figure or section around it must carry the link.
LISTS = {"details", "aside"}
FIGURES = {"figure", "section"}


@pytest.fixture
def world():
    community = CommunityFactory(slug="icu")
    users = make_members(community, 10, prefix="w-")
    write_snapshot(community, users, history=2)
    moderator = make_member(community, role=Membership.Role.MODERATOR).user
    return {"community": community, "users": users, "moderator": moderator}


def _why_figures(tree) -> list[str]:
    return [link.get("data-why") for link in tree.xpath('//a[contains(@class, "why-link")]')]


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return lxml.html.fromstring(response.content.decode())


def _assert_every_name_is_explained(tree, url, names) -> int:
    """Each profile link and each table row naming a member (by display name) in the page's
    content sits in a figure that carries a why-link; return how many names were checked."""
    main = tree.xpath("//main")[0]
    named = [
        element
        for element in main.xpath(".//a[contains(@href, '/u/')] | .//th[@scope='row'] | .//li")
        if any(name in element.text_content() for name in names)
    ]
    for element in named:
        assert _explained(element), (url, element.text_content())
    return len(named)


def _explained(element) -> bool:
    for container in element.iterancestors():
        if container.tag in LISTS | FIGURES and container.xpath('.//a[@class="why-link"]'):
            return True
        if container.tag in FIGURES or container.tag == "main":
            return False
    return False


def test_every_named_figure_for_moderators_links_to_its_explanation(client, world):
    community = world["community"]
    names = [f"Person {i}" for i in range(len(world["users"]))]
    client.force_login(world["moderator"])
    expected = {
        "dashboard": {"network", "brokers"},
        "network": {"network"},
        "members": {"drifting", "rising", "brokers", "levels"},
    }
    for page_name, figures in expected.items():
        url = reverse(f"metrics:{page_name}", args=[community.slug])
        tree = _page(client, url)
        assert figures <= set(_why_figures(tree)), (url, _why_figures(tree))
        assert _assert_every_name_is_explained(tree, url, names) > 0, url


def test_my_network_links_to_its_explanation(client, world):
    community = world["community"]
    member = world["users"][1]
    client.force_login(member)
    url = reverse("metrics:my_network", args=[community.slug])
    tree = _page(client, url)
    assert "my-network" in _why_figures(tree)
    others = [f"Person {i}" for i in range(len(world["users"])) if i != 1]
    assert _assert_every_name_is_explained(tree, url, others) > 0


def test_who_knows_what_and_likely_answerers_link_to_their_explanation(client, world):
    community = world["community"]
    client.force_login(world["users"][0])
    tree = _page(client, reverse("knowledge:experts", args=[community.slug]))
    assert _why_figures(tree) == ["experts"]

    expert = world["users"][2]
    panel = render_to_string(
        "knowledge/thread_panels/likely_answerers.html",
        {
            "community": community,
            "profile_base": "/u/",
            "page": {
                "panels": {
                    "knowledge": {
                        "likely_answerers": [
                            {"user": expert, "name": "Person 2", "accepted": 3, "points": 9}
                        ]
                    }
                }
            },
        },
    )
    assert _why_figures(lxml.html.fromstring(panel)) == ["experts"]


def test_each_why_link_lands_on_an_explanation(client, world):
    client.force_login(world["moderator"])
    community = world["community"]
    privacy = _page(client, reverse("accounts:privacy"))
    anchors = set(privacy.xpath("//@id"))
    pages = [reverse(f"metrics:{n}", args=[community.slug]) for n in ("dashboard", "network")]
    pages += [reverse("metrics:members", args=[community.slug])]
    pages += [reverse("knowledge:experts", args=[community.slug])]
    seen = set()
    for url in pages:
        for link in _page(client, url).xpath('//a[contains(@class, "why-link")]'):
            path, _, anchor = link.get("href").partition("#")
            assert path == reverse("accounts:privacy")
            assert anchor == f"figure-{link.get('data-why')}" and anchor in anchors, anchor
            seen.add(anchor)
    assert seen == {
        "figure-network",
        "figure-brokers",
        "figure-drifting",
        "figure-rising",
        "figure-levels",
        "figure-experts",
    }
    assert "figure-my-network" in anchors
