"""The thread list's tag filter on a phone: popular tags as chips and as the text box's
suggestions, and the active tag as a chip whose ✕ removes only that filter."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.practice.factories import ask, member_of

pytestmark = pytest.mark.django_db


def test_thread_list_offers_popular_tags_and_a_removable_tag_chip(client, open_community):
    community = open_community
    author = member_of(community)
    ask(community, author, title="One", tags=["heels", "dressings"])
    ask(community, author, title="Two", tags=["dressings"])
    url = reverse("practice:thread_list", args=[community.slug])
    html = client.get(url).content.decode()
    assert '<datalist id="tag-filter-options"><option value="dressings"><option value="heels">' in (
        html
    )
    assert 'list="tag-filter-options"' in html
    assert 'aria-label="Popular tags"' in html and 'href="?tag=dressings"' in html
    assert "remove this filter" not in html

    html = client.get(url, {"tag": "heels", "sort": "newest", "page": "1"}).content.decode()
    assert 'href="?sort=newest">heels' in html and "remove this filter" in html
    assert 'href="?tag=heels" aria-current="true"' in html


def test_popular_tags_are_cached_per_community(client, open_community):
    cache.clear()
    community = open_community
    ask(community, member_of(community), tags=["heels"])
    url = reverse("practice:thread_list", args=[community.slug])
    client.get(url)
    ask(community, member_of(community), tags=["sacral"])  # counted again in a few minutes
    assert 'value="sacral"' not in client.get(url).content.decode()
    cache.clear()
    assert 'value="sacral"' in client.get(url).content.decode()
