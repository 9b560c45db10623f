"""Two ways to match and rank entries behind one interface: PostgreSQL full-text search over the
narrow match table, and a simple matcher for SQLite (every word must appear; title hits first,
then the most recent)."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left
from django.utils.safestring import SafeString, mark_safe

from search.indexing import search_config, uses_vectors
from search.models import SearchEntry
from search.text import ParsedQuery, escape_marked, stem_snippet, window_snippet

Kind = SearchEntry.Kind

# A hit's snippet is made in Python from a piece of its text, SNIPPET_SOURCE_CHARS long, that
# starts SNIPPET_SOURCE_LEAD characters before the first place a searched word's stem appears
# (see PostgresBackend._snippet_source): the page reads that piece only, whatever the length of
# the text, and PostgreSQL parses no text at all (ts_headline parsed every word of every hit).
SNIPPET_SOURCE_CHARS = 1_000
SNIPPET_SOURCE_LEAD = 200
# What a page of hits shows of an entry (search.selectors.hits), and nothing more.
PAGE_FIELDS = (
    "kind",
    "object_id",
    "thread_id",
    "title",
    "tag_names",
    "item_kind",
    "is_solved",
    "updated_at",
    "community__slug",
    "community__name",
    "user__username",
)
_LEXEME_RE = re.compile(r"(!?)'((?:[^']|'')+)'")
# A query whose every word is plain (letters and digits, maybe a leading "-") has no phrase in
# it; quotes, hyphens and other punctuation may make one ("sub-optimal" is a phrase).
_PLAIN_WORD_RE = re.compile(r"-?\w+")


class PostgresBackend:
    """websearch_to_tsquery against the narrow match table's GIN-indexed vectors; ts_rank;
    snippets marked around the query's stems."""

    name = "postgresql"

    def _query(self, parsed: ParsedQuery) -> SearchQuery:
        return SearchQuery(parsed.text, search_type="websearch", config=search_config())

    def filter(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        """Entries whose vector matches the query (through the GIN index)."""
        return qs.filter(search_vector=self._query(parsed))

    def rank(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        """Order matching entries best first, with a snippet source for each."""
        query = self._query(parsed)
        # The text itself stays in the database: only a piece of it around the first hit is
        # read, for the rows actually fetched.
        return (
            qs.annotate(
                rank=SearchRank(F("search_vector"), query),
                snippet_source=self._snippet_source(parsed),
            )
            .defer("text", "search_vector")
            .order_by("-rank", "-updated_at", "-pk")
        )

    def _stems(self, parsed: ParsedQuery) -> list[str]:
        """The lexemes the query looks for (not those it excludes), as PostgreSQL stems them."""
        return [
            stem.replace("''", "'").lower()
            for negated, stem in _LEXEME_RE.findall(self._tsquery(parsed))
            if not negated
        ]

    def _snippet_source(self, parsed: ParsedQuery) -> RawSQL | Left:
        """SNIPPET_SOURCE_CHARS of the text, starting SNIPPET_SOURCE_LEAD characters before the
        first occurrence of a searched stem (a stem is usually the start of the word: 'dress' in
        "dressings"), or at the start when none is found that way."""
        stems = self._stems(parsed)
        if not stems:
            return Left("text", SNIPPET_SOURCE_CHARS)
        text = "search_searchentry.text"
        first = ", ".join([f"NULLIF(strpos(lower({text}), %s), 0)"] * len(stems))
        return RawSQL(
            f"substr({text}, GREATEST(1, COALESCE(LEAST({first}), 1) - %s), %s)",  # noqa: S611
            (*stems, SNIPPET_SOURCE_LEAD, SNIPPET_SOURCE_CHARS),
            output_field=TextField(),
        )

    def snippet(self, entry: SearchEntry, parsed: ParsedQuery) -> SafeString:
        source = getattr(entry, "snippet_source", None) or ""
        # Everything is escaped; only our own markers become <mark>.
        return mark_safe(escape_marked(stem_snippet(source, self._stems(parsed))))  # noqa: S308

    def _tsquery(self, parsed: ParsedQuery) -> str:
        """The query as PostgreSQL reads it (read with the matches, or asked once)."""
        if not hasattr(self, "_tsquery_text"):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT websearch_to_tsquery(%s::regconfig, %s)::text",
                    [search_config(), parsed.text],
                )
                self._tsquery_text = cursor.fetchone()[0]
        return self._tsquery_text

    def nothing_to_match(self, parsed: ParsedQuery) -> bool:
        """Did the configuration drop every word (only stop words)?"""
        return not self._tsquery(parsed)

    def recent_matches(
        self, *, matches: QuerySet, entries: QuerySet, parsed: ParsedQuery, limit: int
    ) -> list[tuple]:
        """(id, rank) of the most recent *limit* entries among *matches* (match rows) that match
        the query, most recent first: read from the narrow match table only.

        The rank is computed in the same pass, for those *limit* rows only (in an outer query,
        after the LIMIT), and the query as PostgreSQL parsed it comes with them, so a search
        that finds something asks nothing more before fetching its page.
        """
        found = matches.filter(vector=self._query(parsed)).order_by()
        columns = found.values_list("entry_id", "updated_at", "vector")
        if all(_PLAIN_WORD_RE.fullmatch(word) for word in parsed.text.split()):
            # The planner picks: the GIN index for rare words, or the recency index read until
            # *limit* matches for common ones (a few thousand narrow rows at most).
            sql, params = columns.order_by("-updated_at", "-entry_id")[
                :limit
            ].query.sql_with_params()
        else:
            # Phrases ("foam dressing", sub-optimal) match far fewer entries than PostgreSQL
            # estimates, so it would read the recency index through the whole table: collect
            # the matches through the GIN index first, then take the most recent.
            inner, inner_params = columns.query.sql_with_params()
            sql = (
                f"WITH m AS MATERIALIZED ({inner}) "  # noqa: S608 (the ORM's own SQL and params)
                "SELECT m.* FROM m ORDER BY 2 DESC, 1 DESC LIMIT %s"
            )
            params = (*inner_params, limit)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.pk, ts_rank(r.vector, q.q), q.q::text "  # noqa: S608
                f"FROM ({sql}) AS r(pk, updated_at, vector), "
                "websearch_to_tsquery(%s::regconfig, %s) AS q(q) "
                "ORDER BY r.updated_at DESC, r.pk DESC",
                [*params, search_config(), parsed.text],
            )
            rows = cursor.fetchall()
        if rows:
            self._tsquery_text = rows[0][2]
        return [(pk, rank) for pk, rank, _ in rows]

    def among(self, qs: QuerySet, ids: list[int]) -> QuerySet:
        """*qs* restricted to *ids*, passed as one array (not one parameter per id)."""
        return qs.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))

    def page(self, qs: QuerySet, ids: list[int], parsed: ParsedQuery) -> QuerySet:
        """The entries of one page (*ids*), with their snippet sources, in any order."""
        return (
            qs.filter(pk__in=ids)
            .annotate(snippet_source=self._snippet_source(parsed))
            .only(*PAGE_FIELDS)
            .order_by()
        )

    def similar(self, *, matches: QuerySet, entries: QuerySet, terms: list[str], limit: int):
        """Ids of the *limit* entries among *matches* that share most of *terms* (any of them
        matches; ts_rank orders them, then recency), best first."""
        query = SearchQuery(" or ".join(terms), search_type="websearch", config=search_config())
        return list(
            matches.filter(vector=query)
            .annotate(rank=SearchRank(F("vector"), query))
            .order_by("-rank", "-updated_at", "-entry_id")
            .values_list("entry_id", flat=True)[:limit]
        )


class SimpleBackend:
    """Every word (stop words aside) appears in the title, tags or text; ranked by how many words
    are in the title, then by recency. Case-insensitive for ASCII letters (SQLite's LIKE)."""

    name = "simple"

    @staticmethod
    def _in_title(term: str) -> Q:
        return Q(title__icontains=term) & ~Q(kind=Kind.POST)

    def filter(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        for term in parsed.terms:
            qs = qs.filter(
                Q(text__icontains=term) | Q(tag_names__icontains=term) | self._in_title(term)
            )
        return qs

    def rank(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        return (
            qs.annotate(rank=self._title_hits(parsed))
            .defer("search_vector")
            .order_by("-rank", "-updated_at", "-pk")
        )

    def snippet(self, entry: SearchEntry, parsed: ParsedQuery) -> SafeString:
        return mark_safe(escape_marked(window_snippet(entry.text, parsed.terms)))  # noqa: S308

    def nothing_to_match(self, parsed: ParsedQuery) -> bool:
        return not parsed.terms

    def _title_hits(self, parsed: ParsedQuery):
        title_hits = Value(0, output_field=IntegerField())
        for term in parsed.terms:
            title_hits = title_hits + Case(
                When(self._in_title(term), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        return title_hits

    def recent_matches(
        self, *, matches: QuerySet, entries: QuerySet, parsed: ParsedQuery, limit: int
    ) -> list[tuple]:
        """(id, rank) of the most recent *limit* matching *entries*, most recent first (the
        words are looked for in the text, which only the entries hold)."""
        if not parsed.terms:
            return []
        matching = self.filter(entries, parsed).annotate(rank=self._title_hits(parsed))
        return list(matching.order_by("-updated_at", "-pk").values_list("pk", "rank")[:limit])

    def among(self, qs: QuerySet, ids: list[int]) -> QuerySet:
        return qs.filter(pk__in=ids)

    def page(self, qs: QuerySet, ids: list[int], parsed: ParsedQuery) -> QuerySet:
        """The entries of one page (*ids*), in any order."""
        return qs.filter(pk__in=ids).only(*PAGE_FIELDS, "text").order_by()

    def similar(self, *, matches: QuerySet, entries: QuerySet, terms: list[str], limit: int):
        """Ids of the *limit* entries that have any of *terms* in the title, most of them first,
        then the most recent."""
        any_term = Q()
        for term in terms:
            any_term |= Q(title__icontains=term)
        parsed = ParsedQuery(terms=terms)
        return list(
            entries.filter(any_term)
            .annotate(rank=self._title_hits(parsed))
            .order_by("-rank", "-updated_at", "-pk")
            .values_list("pk", flat=True)[:limit]
        )


def get_backend():
    return PostgresBackend() if uses_vectors() else SimpleBackend()
