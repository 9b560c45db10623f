"""Atom feeds: per community and per tag, for what an anonymous visitor may read only."""

from xml.etree import ElementTree

import pytest
from django.urls import reverse

from communities.models import Membership
from practice.services import moderation
from tests.factories import UserFactory, make_admin
from tests.practice.factories import ask, discuss, member_of, moderator_of

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response):
    root = ElementTree.fromstring(response.content)
    return [
        {
            "title": entry.find(f"{ATOM}title").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "content": entry.find(f"{ATOM}summary").text,
            "categories": [c.get("term") for c in entry.findall(f"{ATOM}category")],
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


@pytest.mark.parametrize("visibility", ["open", "request"])
def test_community_feed_lists_latest_visible_threads(client, visibility, request):
    community = request.getfixturevalue(f"{visibility}_community")
    author = member_of(community)
    first = ask(community, author, title="First question", body="Body **one**", tags=["foam"])
    discuss(community, author, title="Second thread")
    hidden = ask(community, author, title="Hidden one")
    moderation.content_hide(post=hidden.opening_post, by=moderator_of(community))
    response = client.get(reverse("practice:feed", args=[community.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    items = entries(response)
    assert [i["title"] for i in items] == ["Discussion: Second thread", "Question: First question"]
    assert items[1]["categories"] == ["foam"]
    assert "<strong>one</strong>" in items[1]["content"]
    assert items[1]["link"].endswith(reverse("practice:thread", args=[community.slug, first.pk]))


def test_tag_feed_lists_only_that_tag(client, open_community):
    author = member_of(open_community)
    ask(open_community, author, title="Foam", tags=["foam dressings"])
    ask(open_community, author, title="Other", tags=["gauze"])
    url = reverse("practice:tag_feed", args=[open_community.slug, "Foam Dressings"])
    response = client.get(url)
    assert response.status_code == 200
    assert [i["title"] for i in entries(response)] == ["Question: Foam"]
    assert "foam dressings" in ElementTree.fromstring(response.content).find(f"{ATOM}title").text
    empty = client.get(reverse("practice:tag_feed", args=[open_community.slug, "nothing/here"]))
    assert empty.status_code == 200 and entries(empty) == []


@pytest.mark.parametrize("viewer", ["anonymous", "outsider", "member", "moderator", "staff"])
def test_private_community_has_no_feed_for_anyone(client, private_community, viewer):
    """Feed readers fetch without a session, so a private community's feed is always a 404,
    the same answer as for a community that does not exist."""
    author = member_of(private_community)
    ask(private_community, author, title="CANARY private", tags=["secret"])
    if viewer == "outsider":
        client.force_login(UserFactory())
    elif viewer == "member":
        client.force_login(author)
    elif viewer == "moderator":
        client.force_login(moderator_of(private_community))
    elif viewer == "staff":
        client.force_login(make_admin())
    for url in (
        reverse("practice:feed", args=[private_community.slug]),
        reverse("practice:tag_feed", args=[private_community.slug, "secret"]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert b"CANARY" not in response.content
    missing = client.get(reverse("practice:feed", args=["no-such-community"]))
    assert missing.status_code == 404


def test_thread_list_links_its_feed_only_when_public(client, open_community, private_community):
    html = client.get(reverse("practice:thread_list", args=[open_community.slug])).content
    assert reverse("practice:feed", args=[open_community.slug]).encode() in html
    member = member_of(private_community)
    assert Membership.objects.filter(user=member, community=private_community).exists()
    client.force_login(member)
    html = client.get(reverse("practice:thread_list", args=[private_community.slug])).content
    assert b"application/atom+xml" not in html
    assert reverse("practice:feed", args=[private_community.slug]).encode() not in html
