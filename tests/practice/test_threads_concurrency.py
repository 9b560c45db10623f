"""Concurrent helpful votes stay exact: 20 clicks by one member are one vote, one click each
by 20 members is a score of 20.

Real threads with their own database connections (``transaction=True``). On PostgreSQL the
post row lock (select_for_update) serialises them; on SQLite the database-wide write lock does,
with the 20-second busy timeout set in the settings, so no retry is needed. Run these on
PostgreSQL too: DATABASE_URL=postgres://postgres@127.0.0.1:5432/practica.
"""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from practice.models import Post, Vote
from practice.services import endorsements
from tests.practice.factories import answer, ask, member_of

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 20


def run_at_once(functions) -> list[BaseException]:
    """Start every function together (behind a barrier); return what they raised."""
    barrier = threading.Barrier(len(functions))
    errors: list[BaseException] = []

    def worker(function):
        try:
            barrier.wait(timeout=30)
            function()
        except BaseException as error:  # noqa: BLE001 (reported to the test)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


@pytest.fixture
def post(open_community):
    return answer(ask(open_community, member_of(open_community)), member_of(open_community))


@pytest.mark.sqlite
def test_sqlite_waits_for_the_write_lock_instead_of_failing():
    """The setting the concurrency tests rely on (no 'database is locked' retries needed)."""
    assert connection.settings_dict["OPTIONS"]["timeout"] >= 20


def test_twenty_concurrent_votes_by_one_member_make_one_vote(post, open_community):
    voter = member_of(open_community)
    errors = run_at_once(
        [lambda: endorsements.vote_set(post=post, voter=voter, helpful=True)] * WORKERS
    )
    assert errors == []
    post.refresh_from_db()
    assert Vote.objects.filter(post=post).count() == 1
    assert post.helpful_count == 1
    post.thread.refresh_from_db()
    assert post.thread.helpful_count == 1


def test_twenty_concurrent_votes_by_twenty_members_score_twenty(post, open_community):
    voters = [member_of(open_community) for _ in range(WORKERS)]
    errors = run_at_once(
        [(lambda voter=voter: endorsements.vote_toggle(post=post, voter=voter)) for voter in voters]
    )
    assert errors == []
    post.refresh_from_db()
    assert Vote.objects.filter(post=post).count() == WORKERS
    assert post.helpful_count == WORKERS
    post.thread.refresh_from_db()
    assert post.thread.helpful_count == WORKERS


def test_twenty_concurrent_vote_requests_through_the_view(post, open_community):
    """The same through HTTP: each member clicks twice at once; still one vote each."""
    from django.test import Client

    voters = [member_of(open_community) for _ in range(WORKERS // 2)]
    url = reverse("practice:post_vote", args=[open_community.slug, post.pk])
    clients = []
    for voter in voters:
        client = Client()
        client.force_login(voter)
        clients += [client, client]
    statuses = []

    def click(client):
        statuses.append(client.post(url, {"helpful": "1"}).status_code)

    errors = run_at_once([(lambda c=c: click(c)) for c in clients])
    assert errors == []
    assert statuses == [302] * WORKERS
    assert Vote.objects.filter(post=post).count() == len(voters)
    assert Post.objects.get(pk=post.pk).helpful_count == len(voters)
