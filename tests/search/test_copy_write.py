"""The index's batch write by COPY on PostgreSQL writes exactly what the ORM's upsert writes:
every column of the entries (the stored vector as text) and of their match rows."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import timezone

from communities.models import Membership
from knowledge.models import Item
from practice.models import Thread
from practice.services import endorsements
from practice.services import threads as thread_services
from search import indexing
from search.models import SearchEntry, SearchMatch
from tests.practice.factories import answer, ask, discuss, member_of, moderator_of
from tests.search.helpers import make_item

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

FIXED_NOW = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
ORM_ONLY = 10**9
COPY_ALWAYS = 1


def _content(community, other):
    asker = member_of(community)
    # Tabs, line ends, backslashes, quotes and non-ASCII: what COPY's text format escapes.
    thread = ask(
        community,
        asker,
        title='Back\\slash\tand "quotes" in a title — ça va?',
        body="Line one\nline two\r\n\\N is not null\t tab; 'dressing' |pipe|",
        tags=["wound care", "foam"],
    )
    accepted = answer(thread, member_of(community), body="Use a foam dressing.\n\nTwice.")
    endorsements.answer_accept(answer=accepted, by=asker)
    hidden = answer(thread, member_of(community), body="Hidden reply")
    thread_services.post_hide(post=hidden, by=moderator_of(community))
    chat = discuss(community, asker, title="Night shifts", body="Tired.")
    answer(chat, member_of(community), body="Coffee.")
    ask(other, member_of(other), title="Unsolved", body="Anyone?", tags=["a|b"])
    make_item(community, asker, title="A checklist", body="Step\tone", tags=["foam"])
    make_item(other, member_of(other), title="Guide", kind="guide")


def _snapshot():
    """Every column of every entry and its match row, keyed by (kind, object_id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.kind, e.object_id, e.community_id, e.thread_id, e.user_id, e.title, e.text, "
            "e.tag_names, e.item_kind, e.is_solved, e.created_at, e.updated_at, e.indexed_at, "
            "e.search_vector::text, m.entry_id = e.id, m.community_id, m.kind, m.item_kind, "
            "m.is_solved, m.tag_names, m.updated_at, m.vector::text "
            "FROM search_searchentry e LEFT JOIN search_searchmatch m ON m.entry_id = e.id "
            "ORDER BY e.kind, e.object_id"
        )
        return cursor.fetchall()


def _index_everything():
    indexing.threads_changed(list(Thread.objects.values_list("pk", flat=True)))
    for item_id in Item.objects.values_list("pk", flat=True):
        indexing.item_changed(item_id)
    for user_id in Membership.objects.values_list("user_id", flat=True).distinct():
        indexing.member_changed(user_id)


def _make_stale():
    """Old values in every column the upsert writes, and no vectors."""
    SearchEntry.objects.update(
        title="stale", text="stale", tag_names="|stale|", search_vector=None, is_solved=None
    )
    SearchMatch.objects.update(tag_names="|stale|", vector=None, is_solved=None)


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: FIXED_NOW)


def _written_by(monkeypatch, threshold, *, over_stale):
    monkeypatch.setattr(indexing, "COPY_MIN_ENTRIES", threshold)
    SearchEntry.objects.all().delete()
    if over_stale:
        monkeypatch.setattr(indexing, "COPY_MIN_ENTRIES", ORM_ONLY)
        _index_everything()
        _make_stale()
        monkeypatch.setattr(indexing, "COPY_MIN_ENTRIES", threshold)
    _index_everything()
    return _snapshot()


@pytest.mark.parametrize("over_stale", [False, True], ids=["new rows", "over stale rows"])
def test_write_by_copy_is_identical_to_the_orm_upsert(
    open_community, private_community, monkeypatch, fixed_now, over_stale
):
    _content(open_community, private_community)
    by_orm = _written_by(monkeypatch, ORM_ONLY, over_stale=over_stale)
    by_copy = _written_by(monkeypatch, COPY_ALWAYS, over_stale=over_stale)
    assert by_copy == by_orm
    kinds = {row[0] for row in by_orm}
    assert kinds == {"thread", "post", "item", "member"}
    assert all(row[13] and row[14] and row[21] == row[13] for row in by_orm)
    assert all(row[12] == FIXED_NOW for row in by_orm)


def test_rebuild_by_copy_is_identical_to_the_orm(
    open_community, private_community, monkeypatch, fixed_now
):
    """A rebuild writes many batches in one transaction (the temporary table reused)."""
    _content(open_community, private_community)
    monkeypatch.setattr(indexing, "REBUILD_BATCH", 1)
    monkeypatch.setattr(indexing, "COPY_MIN_ENTRIES", ORM_ONLY)
    indexing.rebuild()
    by_orm = _snapshot()
    monkeypatch.setattr(indexing, "COPY_MIN_ENTRIES", COPY_ALWAYS)
    indexing.rebuild()
    assert _snapshot() == by_orm
    assert len(by_orm) >= 10


def test_write_by_copy_takes_a_batch_in_four_statements(open_community, django_assert_num_queries):
    author = member_of(open_community)
    threads = [ask(open_community, author, title=f"Question {n}") for n in range(5)]
    for thread in threads:
        answer(thread, member_of(open_community))
    entries = indexing._thread_entries(
        threads, indexing._visible_posts([t.pk for t in threads]), {}
    )
    assert len(entries) == 10 >= indexing.COPY_MIN_ENTRIES
    # The temporary table, the COPY, the upsert of entries and match rows, the TRUNCATE.
    with django_assert_num_queries(4):
        indexing._write(entries)
