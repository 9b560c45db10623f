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
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Words for the phrase properties: stop words (left as gaps), hyphenated and apostrophe words
# (one word, several lexemes), words that stem alike, and a quote the query text escapes.
_PHRASE_WORDS = [
    "silver", "alginate", "alginates", "foam", "dressing", "the", "of", "in", "sub-optimal",
    "well-to-do", "o'brien", "it's", "heel", "dressing's", "and", "or", "x",
]  # fmt: skip


def _pairs_hold(cursor, text: str, query: str, *, title: str = "") -> tuple[bool, bool, bool]:
    """(does the query match the text's vector, does the query require pairs, are they all in
    the vector's pairs) for a weighted vector made as the index makes it (title, tags, text)."""
    cursor.execute(
        "WITH v AS (SELECT setweight(to_tsvector('english', %s), 'A') || "
        "setweight(to_tsvector('english', %s), 'B') || "
        "setweight(to_tsvector('english', %s), 'C') AS v), "
        "q AS (SELECT websearch_to_tsquery('english', %s) AS q) "
        "SELECT v @@ q, search_phrase_pairs(q) IS NOT NULL, "
        "COALESCE(search_word_pairs(v) @@ search_phrase_pairs(q), true) FROM v, q",
        [title, "tag" if title else "", text, query],
    )
    return cursor.fetchone()


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(st.sampled_from(_PHRASE_WORDS), min_size=1, max_size=30).map(" ".join),
    phrase=st.lists(st.sampled_from(_PHRASE_WORDS), min_size=1, max_size=4).map(" ".join),
    extra=st.sampled_from(["", " foam", " -foam", " or heel", ' "heel dressing"', " alginate"]),
)
def test_a_phrase_match_always_has_the_word_pairs_the_query_requires(text, phrase, extra):
    """The pairs index only narrows: whatever the text and the query, a vector that matches
    holds every pair the query requires (so no match is ever lost)."""
    with connection.cursor() as cursor:
        matches, requires, held = _pairs_hold(cursor, text, f'"{phrase}"{extra}', title=text[:40])
    if matches:
        assert held


def test_word_pairs_past_the_last_position(open_community):
    """Positions stop at 16,383 (every later word is there): a phrase across that point still
    finds its pair, as PostgreSQL's own phrase test does."""
    filler = " ".join(["granulation"] * 16_381)  # positions 1 to 16,381
    with connection.cursor() as cursor:
        for tail in ("silver alginate", "foam silver alginate heel", "foam heel silver alginate"):
            matches, requires, held = _pairs_hold(cursor, f"{filler} {tail}", '"silver alginate"')
            assert requires and (held or not matches)
            if tail == "silver alginate":  # at 16,382 and 16,383
                assert matches and held


def test_phrase_pairs_only_where_every_phrase_must_match():
    """Pairs are required only from plain lexemes side by side with <->, and not at all when
    the query has an OR or a NOT (a phrase there need not match)."""
    with connection.cursor() as cursor:
        expected = {
            '"silver alginate"': "'silver algin'",
            '"sub-optimal dressing" foam': "'optim dress' & 'sub optim' & 'sub-optim sub'",
            '"foam dressing" "silver alginate"': "'foam dress' & 'silver algin'",
            '"wound in the heel"': None,  # 'wound' <3> 'heel': no adjacent pair
            "silver alginate": None,
            '"silver alginate" or foam': None,
            '"silver alginate" -foam': None,
            "\"it's o'brien\"": "'o brien'",  # the parser splits words at a quote
        }
        for query, pairs in expected.items():
            cursor.execute(
                "SELECT search_phrase_pairs(websearch_to_tsquery('english', %s))::text", [query]
            )
            assert cursor.fetchone()[0] == pairs, query


def test_phrases_read_the_word_pairs_index_and_find_the_same(open_community):
    """A phrase search reads only the candidates of the pairs index (not every entry holding
    both words), and shows what the queryset path shows."""
    author = member_of(open_community)
    a = ask(open_community, author, title="Sub-optimal foam", body="silver alginate")
    ask(open_community, author, title="Alginate", body="silver is not alginate")
    b = ask(open_community, author, title="Other", body="A wound in the heel")
    for q, expected in (('"silver alginate"', [a.pk]), ('"wound in the heel"', [b.pk])):
        captured = []

        def capture(execute, sql, params, many, context, captured=captured):
            captured.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            outcome = selectors.search(user=author, q=q, filters=selectors.SearchFilters())
            ranked = outcome.paginatable()[0:25]
        assert [e.object_id for e in ranked] == expected
        assert [e.pk for e in ranked] == [e.pk for e in outcome.entries]
        sql, params = captured[-1]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # The CASE is folded when planned: the pairs' condition, or the vector's alone.
        by_pairs = "search_word_pairs(vector) @@ '''silver algin'''::tsquery" in plan
        assert by_pairs == (q == '"silver alginate"'), plan
        assert ("CASE" in plan, "search_word_pairs" in plan) == (False, by_pairs), plan
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_match_pairs_gin'")
        assert "gin (search_word_pairs(vector))" in cursor.fetchone()[0]


_QUERY_PIECES = [
    '"', "silver", "alginate", "foam", "dressing", "the", "sub-optimal", "o'brien", "it's",
    " ", " or ", " -", "-", "\\", "!", "|", "&", "(", ")", "<->", ":*", "'", "''", "é",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_QUERY_PIECES), min_size=1, max_size=12).map("".join))
def test_phrase_pairs_in_plpgsql_are_the_sql_functions(query):
    """search_phrase_pairs is PL/pgSQL since 0008 (its body's plan kept for the session, not
    planned again in every phrase search's planning) and returns exactly what 0007's SQL
    function returns, for any query."""
    from importlib import import_module

    sql_function = import_module("search.migrations.0007_search_match_word_pairs").PHRASE_PAIRS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.lanname FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang "
            "WHERE p.proname = 'search_phrase_pairs'"
        )
        assert cursor.fetchall() == [("plpgsql",)]
        cursor.execute(
            sql_function.replace("FUNCTION search_phrase_pairs(", "FUNCTION pg_temp.pairs_0007(")
        )
        cursor.execute(
            "WITH q AS (SELECT websearch_to_tsquery('english', %s) AS q) "
            "SELECT search_phrase_pairs(q)::text, pg_temp.pairs_0007(q)::text FROM q",
            [query],
        )
        installed, original = cursor.fetchone()
    assert installed == original
