"""The search page makes the same number of queries for 5 results as for 200."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Membership, Profile
from knowledge.models import Item
from practice.models import Post, Thread
from search import indexing
from tests.practice.factories import member_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def fill(community, author, n: int) -> None:
    """*n* threads with one reply each, *n* items and *n* members, all saying "gauze" (bulk
    inserts for speed, then one rebuild of the index)."""
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(
                community=community,
                kind="question",
                title=f"Gauze question {i}",
                author=author,
                created_at=now,
                last_activity_at=now,
            )
            for i in range(n)
        ]
    )
    Post.objects.bulk_create(
        [
            Post(
                thread=t,
                community=community,
                author=author,
                is_opening=False,
                is_answer=True,
                body="Gauze reply",
                body_html="<p>Gauze reply</p>",
                created_at=now,
            )
            for t in threads
        ]
    )
    Item.objects.bulk_create(
        [
            Item(
                community=community,
                kind="tool",
                title=f"Gauze item {i}",
                summary="s",
                state="published",
                proposed_by=author,
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ]
    )
    start = User.objects.count()
    users = User.objects.bulk_create([User(username=f"gauze{start + i}") for i in range(n)])
    Profile.objects.bulk_create(
        [Profile(user=u, display_name=f"Gauze expert {u.username}") for u in users]
    )
    Membership.objects.bulk_create(
        [Membership(community=community, user=u, state="active", joined_at=now) for u in users]
    )
    indexing.rebuild(communities=[community])


def count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/search/", params)
    assert response.status_code == 200
    assert response.context["page"].paginator.count > 0
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize(
    "params",
    [
        {"q": "gauze"},
        {"q": "gauze", "kind": "member"},
        {"kind": "item"},
        {"q": "gauze", "page": "2"},
    ],
)
def test_search_query_count_is_constant(client, open_community, signed_in, params):
    author = member_of(open_community)
    if signed_in:
        client.force_login(author)
    fill(open_community, author, 5)
    small = count_queries(client, params)
    fill(open_community, author, 195)
    assert count_queries(client, params) == small
    # session, user, unread badge; readable communities (filter); on PostgreSQL the query as
    # it reads it; matching ids (their number is the count), page (or count and page, browsing)
    assert small <= 7
