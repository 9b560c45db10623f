"""Lists: query counts constant in the page size, cursors that walk every row once and stay
stable when rows are inserted between pages, ETags on details."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Membership
from practice.rate_limits import rate_limits_suspended
from practice.services import threads as thread_services
from tests.api.conftest import ApiClient, token_for
from tests.factories import CommunityFactory, make_member

pytestmark = pytest.mark.django_db

ROWS = 12


@pytest.fixture
def busy(db):
    """An open community with ROWS threads, a thread with ROWS posts, its author's ROWS
    notifications, and ROWS communities the author belongs to."""
    community = CommunityFactory(slug="busy", visibility="open")
    author = make_member(community, role=Membership.Role.MODERATOR).user
    replier = make_member(community, role=Membership.Role.MODERATOR).user
    with rate_limits_suspended():
        threads = [
            thread_services.thread_create(
                community=community,
                author=author,
                kind="question",
                title=f"Question {i} about dressings",
                body="How do you choose?",
                tags=[f"tag{i % 4}", "care"],
            )
            for i in range(ROWS)
        ]
        for i in range(ROWS):
            thread_services.post_create(thread=threads[0], author=replier, body=f"Answer {i}")
    for i in range(ROWS):
        make_member(CommunityFactory(visibility="private" if i % 2 else "open"), author)
    return {"community": community, "thread": threads[0], "author": author}


def _count(api, path, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/communities", {}),
        ("/me/memberships", {}),
        ("/communities/busy/threads", {}),
        ("/communities/busy/threads", {"sort": "helpful", "tag": "care", "kind": "question"}),
        ("/communities/busy/threads/{thread}/posts", {}),
        ("/notifications", {"unread": "true"}),
        ("/search", {"q": "dressings"}),
    ],
)
def test_list_query_count_does_not_grow_with_the_page(
    busy, path, params, django_assert_max_num_queries
):
    api = ApiClient(token_for(busy["author"]))
    api.get("/me")  # the token's first use is noted (a write at most once a minute)
    path = path.format(thread=busy["thread"].pk)
    small, small_page = _count(api, path, limit=2, **params)
    large, large_page = _count(api, path, limit=ROWS - 1, **params)
    assert len(small_page["items"]) == 2 and len(large_page["items"]) >= ROWS - 1
    assert small == large, (small, large)
    # Whatever the page size: at most the small page's count (and a cap against regressions).
    with django_assert_max_num_queries(min(small, 8)):
        api.get(path, limit=ROWS - 1, **params)
    # A second page (after a cursor) costs the same as the first.
    if small_page["next_cursor"]:
        after, _ = _count(api, path, limit=2, cursor=small_page["next_cursor"], **params)
        assert after == small


@pytest.mark.parametrize("sort", ["activity", "newest", "helpful"])
def test_cursor_walks_every_thread_once_and_ignores_inserts(busy, sort):
    api = ApiClient(token_for(busy["author"]))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 7, "sort": sort, **({"cursor": cursor} if cursor else {})}
        page = api.get("/communities/busy/threads", **params).json()
        seen += [row["id"] for row in page["items"]]
        pages += 1
        if pages == 2:  # a new thread arrives while the caller is paging
            with rate_limits_suspended():
                thread_services.thread_create(
                    community=busy["community"],
                    author=busy["author"],
                    kind="story",
                    title="Arrived meanwhile",
                    body="b",
                )
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(set(seen))  # no row twice
    assert len(seen) == ROWS  # every row that was there; the new one sorts before the cursor


def test_posts_cursor_reaches_every_post_in_order(busy):
    api = ApiClient(token_for(busy["author"]))
    thread = busy["thread"]
    detail = api.get(f"/communities/busy/threads/{thread.pk}").json()
    ids, cursor = [p["id"] for p in detail["posts"]], detail["posts_next_cursor"]
    assert cursor is None and len(ids) == ROWS + 1  # fits in the detail's first page
    walked, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/communities/busy/threads/{thread.pk}/posts", **params).json()
        walked += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == ids


def test_details_answer_304_to_their_etag_and_change_with_the_content(busy):
    api = ApiClient(token_for(busy["author"]))
    path = f"/communities/busy/threads/{busy['thread'].pk}"
    first = api.get(path)
    etag = first["ETag"]
    again = api.client.get(f"/api/v1{path}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    api.post(f"/communities/busy/threads/{busy['thread'].pk}/posts", {"body": "One more"})
    changed = api.client.get(f"/api/v1{path}", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    community = api.client.get("/api/v1/communities/busy", HTTP_IF_NONE_MATCH='"other", *')
    assert community.status_code == 304
    # Lists and details are the caller's own: never kept by a shared cache.
    for response in (first, api.get("/communities/busy/threads")):
        assert response["Cache-Control"] == "private, no-cache"
        assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]


def test_notifications_mark_read(busy):
    api = ApiClient(token_for(busy["author"]))
    unread = api.get("/notifications", unread="true", limit=100).json()["items"]
    assert len(unread) == ROWS
    response = api.post("/notifications/read", {"ids": [unread[0]["id"], 10**9]})
    assert response.json() == {"marked": 1}
    assert len(api.get("/notifications", unread="true", limit=100).json()["items"]) == ROWS - 1
    assert api.post("/notifications/read", {}).json() == {"marked": ROWS - 1}
    # Another member's ids are not theirs to mark.
    other = ApiClient(token_for(make_member(busy["community"]).user))
    assert other.post("/notifications/read", {"ids": [unread[1]["id"]]}).json() == {"marked": 0}


def test_thread_detail_query_count_does_not_grow_with_its_posts(busy):
    api = ApiClient(token_for(busy["author"]))
    api.get("/me")
    with rate_limits_suspended():
        quiet = thread_services.thread_create(
            community=busy["community"], author=busy["author"], kind="story", title="Q", body="b"
        )
    few, page = _count(api, f"/communities/busy/threads/{quiet.pk}")
    many, busy_page = _count(api, f"/communities/busy/threads/{busy['thread'].pk}")
    assert len(page["posts"]) == 1 and len(busy_page["posts"]) == ROWS + 1
    assert few == many
