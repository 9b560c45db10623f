"""Similar threads for the new-thread form: what the title being typed resembles, only among
threads the member may read, in a constant number of queries."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from search import selectors
from tests.practice.factories import ask, member_of
from tests.search.test_permissions import OUTSIDERS, _viewer

pytestmark = pytest.mark.django_db

TITLE = "How do you keep a heel dressing in place overnight?"


def similar_url(community):
    return reverse("search:similar_threads", args=[community.slug])


def titles(user, community, title):
    return [t.title for t in selectors.similar_threads(user=user, community=community, title=title)]


def test_similar_threads_best_first_within_the_community(open_community, request_community):
    community = open_community
    author = member_of(community)
    ask(community, author, title=TITLE)
    ask(community, author, title="Dressing a sacral wound")
    ask(community, author, title="Night shifts and sleep")
    ask(request_community, member_of(request_community), title=TITLE)  # another community
    found = titles(member_of(community), community, "heel dressing slips off overnight")
    assert found[0] == TITLE
    assert "Night shifts and sleep" not in found
    assert len(found) <= selectors.SIMILAR_LIMIT
    assert titles(member_of(community), community, "the and of") == []  # stop words only


def test_similar_threads_view_shows_links_and_nothing_when_nothing_is_alike(client, open_community):
    community = open_community
    thread = ask(community, member_of(community), title=TITLE)
    client.force_login(member_of(community))
    html = client.get(similar_url(community), {"title": "heel dressing overnight"}).content
    assert thread.get_absolute_url().encode() in html and b"Similar threads" in html
    empty = client.get(similar_url(community), {"title": "zebra xylophone quartz"})
    assert empty.status_code == 200 and empty.content.strip() == b""


@pytest.mark.parametrize(
    "params",
    [{}, {"title": ""}, {"title": "ab"}, {"title": "x" * 5000}, {"title": "heel " * 300},
     {"title": "\"'<script>&|!():*"}, {"title": ["a", "b"]}, {"other": "1"}],
)  # fmt: skip
def test_similar_threads_view_odd_input_never_fails(client, open_community, params):
    ask(open_community, member_of(open_community), title=TITLE)
    response = client.get(similar_url(open_community), params)
    assert response.status_code == 200
    assert b"<script>" not in response.content


def test_similar_threads_view_is_get_only(client, open_community):
    client.force_login(member_of(open_community))
    assert client.post(similar_url(open_community), {"title": TITLE}).status_code == 405


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_private_threads_are_never_suggested_to_outsiders(
    client, private_community, open_community, kind
):
    secret = ask(private_community, member_of(private_community), title=f"Secret {TITLE}")
    user = _viewer(kind, private_community)
    if not isinstance(user, AnonymousUser):
        client.force_login(user)
    # Asking about the private community itself: a 404, as its other pages.
    response = client.get(similar_url(private_community), {"title": TITLE})
    assert response.status_code == 404
    # The selector filters by search's permissions on its own, whatever the view does.
    assert titles(user, private_community, TITLE) == []
    # And an open community's form never shows it.
    html = client.get(similar_url(open_community), {"title": TITLE}).content.decode()
    assert "Secret" not in html and secret.get_absolute_url() not in html


def test_private_threads_are_suggested_to_their_members(client, private_community):
    ask(private_community, member_of(private_community), title=TITLE)
    client.force_login(member_of(private_community))
    html = client.get(similar_url(private_community), {"title": "heel dressing"}).content
    assert TITLE.encode() in html


def test_similar_threads_queries_do_not_grow(client, open_community, request_community):
    counts = []
    for community, n in ((open_community, 2), (request_community, 30)):
        author = member_of(community)
        for i in range(n):
            ask(community, author, title=f"Heel dressing question number {i}", tags=["heels"])
        client.force_login(member_of(community))
        url = similar_url(community)
        client.get(url, {"title": "heel dressing overnight"})
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"title": "heel dressing overnight"})
        assert response.content.count(b"<li>") == min(n, selectors.SIMILAR_LIMIT)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 6, counts
