"""Query counts of the thread pages stay the same as rows grow (5 versus 200)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from practice.models import AdoptionReport, Follow, Post, TaggedThread, Thread, ThreadTag, Vote
from practice.services import endorsements
from practice.services.threads import thread_recount
from tests.practice.factories import ask, member_of, moderator_of

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def fill_thread(thread, authors, viewer, n: int) -> None:
    """Add *n* posts by several authors (bulk, for speed), with quotes, votes and reports by
    *viewer*, then recount the counters from the rows so they stay consistent."""
    now = timezone.now()
    posts = Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                community=thread.community,
                author=authors[i % len(authors)],
                is_answer=i % 3 != 2,
                body=f"Post {i} with **markdown**",
                body_html=f"<p>Post {i} with <strong>markdown</strong></p>",
                created_at=now + timedelta(seconds=i),
                edited_at=now if i % 4 == 0 else None,
            )
            for i in range(n)
        ]
    )
    for i, post in enumerate(posts):
        if i % 3 == 2:
            post.reply_to = posts[i - 1]
    Post.objects.bulk_update(posts, ["reply_to"])
    Vote.objects.bulk_create(
        [Vote(post=p, voter=viewer, created_at=now) for p in posts[::2] if p.author != viewer]
    )
    AdoptionReport.objects.bulk_create(
        [
            AdoptionReport(post=p, member=viewer, worked=True, created_at=now, updated_at=now)
            for p in posts[1::3]
            if p.author != viewer
        ]
    )
    for post in posts:
        endorsements.post_recount_endorsements(post.pk)
    thread.refresh_from_db()
    thread_recount(thread)
    thread.last_activity_at = now + timedelta(seconds=n)
    thread.save()
    endorsements.answer_accept(answer=posts[0], by=thread.author)


@pytest.mark.parametrize("viewer_kind", ["anonymous", "member", "moderator"])
def test_thread_page_queries_do_not_grow_with_posts(client, open_community, viewer_kind):
    community = open_community
    authors = [member_of(community) for _ in range(6)]
    member = member_of(community)
    counts = []
    for n in (5, 200):
        thread = ask(community, authors[0], title=f"Question {n}", tags=["a", "b"])
        fill_thread(thread, authors, member, n)
        if viewer_kind == "member":
            client.force_login(member)
        elif viewer_kind == "moderator":
            client.force_login(moderator_of(community))
        url = reverse("practice:thread", args=[community.slug, thread.pk])
        client.get(url)  # warm the session and content-type caches
        counts.append(count_queries(client, url))
        client.logout()
    assert counts[0] == counts[1], counts
    assert counts[1] <= 14, counts


def make_threads(community, authors, n: int) -> None:
    """*n* threads (bulk) with counters, solved marks and two tags each."""
    now = timezone.now()
    threads = Thread.objects.bulk_create(
        [
            Thread(
                community=community,
                kind=["question", "discussion", "story"][i % 3],
                title=f"Thread {i}",
                author=authors[i % len(authors)],
                reply_count=i % 7,
                answer_count=(i % 7) if i % 3 == 0 else 0,
                helpful_count=i % 5,
                created_at=now - timedelta(minutes=i),
                last_activity_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )
    # Authors follow their own threads, as thread_create makes them.
    Follow.objects.bulk_create(
        [
            Follow(user=t.author, target=Follow.Target.THREAD, community=community, thread=t)
            for t in threads
        ]
    )
    tags = [ThreadTag.objects.get_or_create(name=f"tag{i}", slug=f"tag{i}")[0] for i in range(4)]
    content_type = ContentType.objects.get_for_model(Thread)
    TaggedThread.objects.bulk_create(
        [
            TaggedThread(content_type=content_type, object_id=t.pk, tag=tags[(i + k) % 4])
            for i, t in enumerate(threads)
            for k in range(2)
        ]
    )


@pytest.mark.parametrize(
    "params", [{}, {"sort": "helpful"}, {"tag": "tag1"}, {"mine": "on", "following": "on"}]
)
def test_thread_list_queries_do_not_grow_with_threads(client, open_request_pair, params):
    counts = []
    for community, n in zip(open_request_pair, (5, 200), strict=True):
        authors = [member_of(community) for _ in range(5)]
        make_threads(community, authors, n)
        client.force_login(authors[0])
        url = reverse("practice:thread_list", args=[community.slug])
        client.get(url, params)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200
        rows = response.content.count(b'class="thread-row')
        if not params:
            assert rows == min(n, 25)
        else:
            assert 0 < rows <= 25
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 10, counts


@pytest.fixture
def open_request_pair(open_community, request_community):
    return [open_community, request_community]


def test_unanswered_and_activity_queries_do_not_grow(client, open_community, request_community):
    counts = {"unanswered": [], "activity": []}
    for community, n in ((open_community, 5), (request_community, 200)):
        authors = [member_of(community) for _ in range(5)]
        make_threads(community, authors, n)
        url = reverse("practice:unanswered", args=[community.slug])
        client.get(url)
        counts["unanswered"].append(count_queries(client, url))
        thread = ask(community, authors[0])
        fill_thread(thread, authors, member_of(community), n)
        url = reverse("practice:member_activity", args=[authors[1].username])
        client.get(url)
        counts["activity"].append(count_queries(client, url))
    assert counts["unanswered"][0] == counts["unanswered"][1], counts
    assert counts["activity"][0] == counts["activity"][1], counts
