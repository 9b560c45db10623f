"""PostgreSQL full-text search: stored vectors with a GIN index, stemming, ranking, websearch
syntax, headlines, the language setting, and bodies beyond the tsvector limit."""

import random
import re
import string
from datetime import timedelta

import pytest
from django.db import DataError, OperationalError, ProgrammingError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from practice.models import Post, Thread
from search import indexing, selectors
from search.models import SearchEntry, SearchMatch
from tests.practice.factories import answer, ask, member_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _search(user, q, **filters):
    outcome = selectors.search(user=user, q=q, filters=selectors.SearchFilters(**filters))
    return outcome, list(outcome.entries)


def test_gin_index_exists_and_vectors_are_stored(open_community):
    thread = ask(open_community, member_of(open_community), title="Compression bandages")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_searchentry' "
            "AND indexname = 'search_entry_vector_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "USING gin (search_vector)" in definition
    entry = SearchEntry.objects.get(kind="thread", object_id=thread.pk)
    assert "'compress':1A" in entry.search_vector and "'bandag':2A" in entry.search_vector


def test_the_match_gin_index_keeps_a_small_pending_list():
    # Every search through the index reads its whole pending list (migration 0005).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reloptions, i.indexdef FROM pg_class c JOIN pg_indexes i "
            "ON i.indexname = c.relname WHERE c.relname = 'search_match_vector_gin'"
        )
        options, definition = cursor.fetchone()
    assert "USING gin (vector)" in definition
    assert "gin_pending_list_limit=1024" in options
    assert "fastupdate=off" not in options


def test_the_planner_can_use_the_gin_index(open_community):
    ask(open_community, member_of(open_community), title="Compression bandages")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM search_searchentry "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'compression')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_entry_vector_gin" in plan


def test_stemming_and_ranking_title_before_tags_before_text(open_community):
    author = member_of(open_community)
    in_text = ask(open_community, author, title="Night shifts", body="We discussed dressings.")
    in_title = ask(open_community, author, title="Dressing a heel", body="Heel ulcer.")
    in_tags = ask(open_community, author, title="Heels", body="Heel ulcer.", tags=["dressing"])
    _, found = _search(author, "dressed")
    assert [e.object_id for e in found] == [in_title.pk, in_tags.pk, in_text.pk]
    assert found[0].rank > found[1].rank > found[2].rank


def test_websearch_syntax_phrases_and_exclusions(open_community):
    author = member_of(open_community)
    a = ask(open_community, author, title="Foam dressing", body="silicone border")
    b = ask(open_community, author, title="Dressing foam", body="plain")
    _, found = _search(author, '"foam dressing"')
    assert [e.object_id for e in found] == [a.pk]
    _, found = _search(author, "dressing -silicone")
    assert [e.object_id for e in found] == [b.pk]
    _, found = _search(author, "silicone or plain")
    assert {e.object_id for e in found} == {a.pk, b.pk}


def test_posts_are_not_found_by_their_thread_title(open_community):
    thread = ask(open_community, member_of(open_community), title="Lymphoedema", body="x")
    answer(thread, member_of(open_community), body="Try bandaging.")
    _, found = _search(thread.author, "lymphoedema")
    assert [e.kind for e in found] == ["thread"]


def test_headlines_are_escaped_with_marks_only_around_hits(open_community):
    author = member_of(open_community)
    ask(
        open_community,
        author,
        title="Headline",
        body="before <script>alert(1)</script> the tourniquet & after",
    )
    outcome, found = _search(author, "tourniquet")
    snippet = outcome.backend.snippet(found[0], outcome.parsed)
    assert "<mark>tourniquet</mark>" in snippet
    # ts_headline drops what its parser reads as tags; everything else is escaped by us.
    assert "<script" not in snippet and "alert(1)" in snippet and "&amp; after" in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1


def test_only_stop_words_explained(open_community):
    author = member_of(open_community)
    ask(open_community, author, title="The and of")
    outcome = selectors.search(user=author, q="the and of", filters=selectors.SearchFilters())
    assert outcome.entries is None
    assert "only of very common words" in outcome.message
    _, found = _search(author, "zebra")
    assert found == []


def test_phrases_collect_matches_through_the_gin_index(open_community):
    """A phrase is rarer than PostgreSQL estimates: its matches come from the GIN index."""
    author = member_of(open_community)
    a = ask(open_community, author, title="Sub-optimal foam", body="silver alginate")
    ask(open_community, author, title="Alginate", body="silver is not alginate")
    _, found = _search(author, '"silver alginate"')
    assert [e.object_id for e in found] == [a.pk]
    _, found = _search(author, "sub-optimal")
    assert [e.object_id for e in found] == [a.pk]


def test_search_language_setting_configures_index_and_query(open_community):
    author = member_of(open_community)
    with override_settings(SEARCH_LANGUAGE="simple"):
        thread = ask(open_community, author, title="The running of the bulls")
        _, found = _search(author, "the")  # "simple" keeps every word and stems nothing
        assert [e.object_id for e in found] == [thread.pk]
        _, found = _search(author, "run")
        assert found == []
    indexing.thread_changed(thread.pk)  # back to English
    _, found = _search(author, "run")
    assert [e.object_id for e in found] == [thread.pk]


def _huge_text(n_words: int) -> str:
    rng = random.Random(4)
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(n_words))


def test_bodies_beyond_the_tsvector_limit_are_indexed_by_their_first_part(open_community):
    thread = ask(open_community, member_of(open_community))
    post = answer(thread, member_of(open_community), body="short")
    huge = _huge_text(160_000) + " needleword"  # about 1.6 MB of distinct words
    # The limit is real: the whole body cannot become one tsvector.
    errors = (DataError, OperationalError, ProgrammingError)
    with pytest.raises(errors), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT length(to_tsvector('english', %s))", [huge])
    Post.objects.filter(pk=post.pk).update(body=huge, body_html=f"<p>{huge}</p>")
    indexing.post_changed(post.pk)
    entry = SearchEntry.objects.get(kind="post", object_id=post.pk)
    assert entry.search_vector and len(entry.text) == 100_000
    first_word = huge.split()[0]
    _, found = _search(thread.author, first_word)
    assert [e.object_id for e in found] == [post.pk]
    _, found = _search(thread.author, "needleword")  # past the first part: not indexed
    assert found == []
    assert len(Post.objects.get(pk=post.pk).body) > 1_000_000


def test_headline_of_a_long_post_is_taken_around_the_first_hit(open_community):
    """The headline reads a bounded piece of the text, starting just before the first hit, so a
    word far into a long post is still shown highlighted."""
    author = member_of(open_community)
    filler = " ".join(["granulation tissue observed"] * 1_000)  # about 28,000 characters
    ask(open_community, author, title="Long", body=f"{filler} then a tourniquet was applied")
    outcome, found = _search(author, "tourniquets")
    page = outcome.paginatable()[0:25]
    assert [e.pk for e in page] == [e.pk for e in found]
    assert "<mark>tourniquet</mark>" in outcome.backend.snippet(page[0], outcome.parsed)


def test_post_changed_touches_the_thread_entry_in_one_statement(open_community):
    """A new post moves its thread's entry and match row to the thread's last activity with
    one UPDATE statement (two tables, one round trip)."""
    thread = ask(open_community, member_of(open_community))
    post = answer(thread, member_of(open_community), body="a reply")
    later = post.created_at + timedelta(days=3)
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=later)
    with CaptureQueriesContext(connection) as queries:
        indexing.post_changed(post.pk)
    entry = SearchEntry.objects.get(kind="thread", object_id=thread.pk)
    assert entry.updated_at == later
    assert SearchMatch.objects.get(entry=entry).updated_at == later
    touches = [q["sql"] for q in queries if re.search(r'SET "?updated_at"? = ', q["sql"])]
    assert len(touches) == 1
