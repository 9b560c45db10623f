"""The narrow match table follows the entries: every write path keeps one match row per entry with
the same community, filter columns, recency and (on PostgreSQL) vector; searches read it, and a
search page costs the same number of queries however many entries match."""

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection, transaction

from communities.models import Community
from practice.services import endorsements, moderation
from practice.services import threads as thread_services
from search import indexing, selectors
from search.models import SearchEntry, SearchMatch
from tests.factories import CommunityFactory
from tests.practice.factories import answer, ask, member_of, moderator_of
from tests.search.helpers import make_item
from tests.search.test_queries import fill

pytestmark = pytest.mark.django_db
Kind = SearchEntry.Kind
COLUMNS = ("community_id", "kind", "item_kind", "is_solved", "tag_names", "updated_at")


def _entries() -> dict:
    rows = SearchEntry.objects.values_list("pk", *COLUMNS, "search_vector")
    return {pk: rest for pk, *rest in rows}


def _matches() -> dict:
    rows = SearchMatch.objects.values_list("entry_id", *COLUMNS, "vector")
    return {pk: rest for pk, *rest in rows}


def assert_in_step() -> None:
    """One match row per entry, with the entry's columns (and vector)."""
    assert _matches() == _entries()


def _match_of(kind, object_id) -> SearchMatch | None:
    return SearchMatch.objects.filter(entry__kind=kind, entry__object_id=object_id).first()


def _found(user, q, **filters) -> list[tuple[str, int]]:
    outcome = selectors.search(user=user, q=q, filters=selectors.SearchFilters(**filters))
    return [(e.kind, e.object_id) for e in outcome.paginatable()[0:25]]


def test_create_and_edit_keep_the_match_rows_in_step(open_community):
    author = member_of(open_community)
    thread = ask(open_community, author, title="Heel care", body="Offloading boots", tags=["heels"])
    post = answer(thread, member_of(open_community), body="Try a foam wedge.")
    make_item(open_community, author, title="Offloading chart", tags=["heels"])
    assert SearchMatch.objects.count() == SearchEntry.objects.count() == 3
    assert_in_step()
    assert _match_of(Kind.POST, post.pk).tag_names == "|heels|"

    before = _match_of(Kind.POST, post.pk).updated_at
    thread_services.post_edit(post=post, by=post.author, body="Try a silicone wedge.")
    assert _match_of(Kind.POST, post.pk).updated_at > before
    assert_in_step()
    assert _found(author, "silicone") == [(Kind.POST, post.pk)]
    assert _found(author, "foam") == []

    thread_services.post_edit(
        post=thread.opening_post, by=author, body="Offloading boots", tags=["heels", "boots"]
    )
    assert {m.tag_names for m in SearchMatch.objects.filter(entry__thread=thread)} == {
        "|boots|heels|"
    }
    assert_in_step()


def test_a_new_reply_moves_the_thread_match_to_the_front(open_community):
    author = member_of(open_community)
    older = ask(open_community, author, title="Gauze one", body="x")
    newer = ask(open_community, author, title="Gauze two", body="x")
    assert _found(author, "gauze") == [(Kind.THREAD, newer.pk), (Kind.THREAD, older.pk)]
    answer(older, member_of(open_community), body="y")
    assert _match_of(Kind.THREAD, older.pk).updated_at > _match_of(Kind.THREAD, newer.pk).updated_at
    assert _found(author, "gauze") == [(Kind.THREAD, older.pk), (Kind.THREAD, newer.pk)]
    assert_in_step()


def test_hide_restore_and_accept_keep_the_match_rows_in_step(open_community):
    author = member_of(open_community)
    thread = ask(open_community, author, title="Exudate", body="Heavy exudate")
    post = answer(thread, member_of(open_community), body="Superabsorbent pads")
    moderator = moderator_of(open_community)

    thread_services.post_hide(post=post, by=moderator)
    assert _match_of(Kind.POST, post.pk) is None
    assert _found(author, "superabsorbent") == []
    thread_services.post_restore(post=post, by=moderator)
    assert _match_of(Kind.POST, post.pk) is not None
    assert_in_step()

    endorsements.answer_accept(answer=post, by=author)
    assert {m.is_solved for m in SearchMatch.objects.filter(entry__thread=thread)} == {True}
    assert _found(author, "superabsorbent", solved=False) == []
    assert_in_step()

    moderation.content_hide(post=thread.opening_post, by=moderator)
    assert not SearchMatch.objects.filter(entry__thread=thread).exists()
    assert_in_step()


def test_deleting_content_deletes_its_match_rows(open_community):
    author = member_of(open_community)
    thread = ask(open_community, author, title="Doomed", body="x")
    answer(thread, member_of(open_community), body="y")
    item = make_item(open_community, author, title="Doomed item")
    kept = ask(open_community, author, title="Kept", body="x")
    item_id = item.pk
    thread.delete()
    item.delete()
    indexing.item_changed(item_id)
    assert set(SearchMatch.objects.values_list("entry__kind", "entry__object_id")) == {
        (Kind.THREAD, kept.pk)
    }
    assert_in_step()
    community = CommunityFactory(visibility="open")
    ask(community, member_of(community), title="Gone with its community")
    community.delete()
    assert_in_step()


def test_moving_a_thread_moves_its_match_rows(open_community, request_community):
    thread = ask(open_community, member_of(open_community), title="Movable", body="x")
    answer(thread, member_of(open_community), body="y")
    moderator = moderator_of(open_community)
    request_community.memberships.create(user=moderator, role="moderator", state="active")
    moderation.thread_move(thread=thread, to_community=request_community, by=moderator)
    assert set(
        SearchMatch.objects.filter(entry__thread=thread).values_list("community_id", flat=True)
    ) == {request_community.pk}
    assert_in_step()
    assert _found(AnonymousUser(), "movable", community=request_community) == [
        (Kind.THREAD, thread.pk)
    ]


def test_a_community_made_private_leaves_search_at_once(open_community):
    thread = ask(open_community, member_of(open_community), title="Zqxsoon private", body="x")
    assert _found(AnonymousUser(), "zqxsoon") == [(Kind.THREAD, thread.pk)]
    Community.objects.filter(pk=open_community.pk).update(visibility="private")
    assert _found(AnonymousUser(), "zqxsoon") == []
    assert _found(member_of(open_community), "zqxsoon") == [(Kind.THREAD, thread.pk)]


def test_rebuild_rewrites_the_match_table(open_community, private_community):
    author = member_of(open_community)
    ask(open_community, author, title="One", body="x", tags=["a"])
    make_item(open_community, author, title="Two")
    ask(private_community, member_of(private_community), title="Three", body="x")
    SearchMatch.objects.all().delete()
    stray = SearchEntry.objects.first()
    SearchMatch.objects.create(
        entry=stray, community=open_community, kind=Kind.MEMBER, updated_at=stray.updated_at
    )
    call_command("rebuild_search_index", stdout=StringIO())
    assert SearchMatch.objects.count() == SearchEntry.objects.count() > 3
    assert not SearchMatch.objects.filter(entry=stray).exists()  # rewritten with its entry
    assert_in_step()


@pytest.mark.postgres  # SQLite's simple matcher looks for words in the entries' text
def test_searches_read_the_match_table_and_only_the_page_of_entries(open_community):
    author = member_of(open_community)
    fill(open_community, author, 40)
    recorder = _Recorder()
    with connection.execute_wrapper(recorder):
        outcome = selectors.search(user=author, q="gauze", filters=selectors.SearchFilters())
        page = outcome.paginatable()[0:25]
    assert len(page) == 25 and outcome.total == 160  # 40 threads, replies, items, members
    # The reader's communities, then one statement that matches, ranks and reads the page.
    communities, statement = recorder.selects[-2:]
    assert "search_search" not in communities
    # With 160 rows reading whole tables is cheapest; at scale the planner reads entries by
    # their key (bench/search.py), as it must here: only the page's rows can be read that way.
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, recorder.params[-1])
        (plan,) = cursor.fetchone()
    read = _rows_read(plan[0]["Plan"])
    assert read["search_searchmatch"] >= 160  # every match, from the match table
    assert read["search_searchentry"] == 25  # the page's entries only


def _rows_read(node: dict, read: dict | None = None) -> dict:
    """Rows each table gave to the plan (after their filters), summed over its scans."""
    read = {} if read is None else read
    if "Relation Name" in node:
        rows = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0)
        read[node["Relation Name"]] = read.get(node["Relation Name"], 0) + rows
    for child in node.get("Plans", []):
        _rows_read(child, read)
    return read


class _Recorder:
    def __init__(self):
        self.selects: list[str] = []
        self.params: list = []

    def __call__(self, execute, sql, params, many, context):
        self.selects.append(sql)
        self.params.append(params)
        return execute(sql, params, many, context)


@pytest.mark.parametrize("signed_in", [False, True])
def test_search_page_query_count_has_a_ceiling(
    client, open_community, signed_in, django_assert_max_num_queries
):
    author = member_of(open_community)
    if signed_in:
        client.force_login(author)
    fill(open_community, author, 60)
    # session, user and unread badge (signed in); the communities of the form's filter; the
    # matches ranked (on PostgreSQL with the query as it reads it); the page's 25 entries.
    with django_assert_max_num_queries(6 if signed_in else 3):
        response = client.get("/search/", {"q": "gauze"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 240
    assert b"<mark>" in response.content
