"""Search through the API pages through the ranked results with its cursor: every result once,
in the ranked order, each page read with the ranking (one statement on PostgreSQL, wherever the
cursor points)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.v1.pagination import offset_cursor
from tests.api.conftest import ApiClient, token_for
from tests.practice.factories import member_of
from tests.search.test_queries import fill

pytestmark = pytest.mark.django_db


def _page(api, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/search", q="gauze", **params)
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def test_search_cursor_walks_every_result_once_in_ranked_order(open_community):
    author = member_of(open_community)
    fill(open_community, author, 12)  # 48 entries say "gauze": threads, replies, items, members
    api = ApiClient(token_for(author))
    api.get("/me")  # the token's first use is noted (a write at most once a minute)
    everything, one_page_queries = _page(api, limit=100)
    expected = [item["url"] for item in everything["items"]]
    assert len(expected) == len(set(expected)) == 48 and everything["next_cursor"] is None
    walked, cursor, costs = [], None, []
    while True:
        page, queries = _page(api, limit=7, **({"cursor": cursor} if cursor else {}))
        walked += [item["url"] for item in page["items"]]
        costs.append(queries)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == expected
    assert len(costs) == 7  # 48 results, 7 a page
    # Each page costs what the first does, past the ranking's first 25 rows too, and so does
    # one page of 100.
    assert set(costs) == {one_page_queries}, costs


def test_search_cursor_past_the_ranked_results_gives_an_empty_page(open_community):
    author = member_of(open_community)
    fill(open_community, author, 3)
    api = ApiClient(token_for(author))
    api.get("/me")
    first, first_queries = _page(api, limit=5)
    for offset in (12, 13, 40, 10**6):
        page, queries = _page(api, limit=5, cursor=offset_cursor("search", offset))
        assert page["items"] == [] and page["next_cursor"] is None, offset
        assert queries <= first_queries  # no more than a page (SQLite reads no entries)
    last, _ = _page(api, limit=5, cursor=offset_cursor("search", 10))
    assert [item["url"] for item in last["items"]] == [
        item["url"] for item in _page(api, limit=12)[0]["items"][10:]
    ]
    assert len(first["items"]) == 5
