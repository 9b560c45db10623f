"""Two ways to match and rank entries behind one interface: PostgreSQL full-text search, and a
simple matcher for SQLite (every word must appear; title hits first, then the most recent)."""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left
from django.utils.safestring import SafeString, mark_safe

from search.indexing import search_config, uses_vectors
from search.models import SearchEntry
from search.text import MARK_START, MARK_STOP, ParsedQuery, escape_marked, window_snippet

Kind = SearchEntry.Kind

# Headlines are made from HEADLINE_CHARS characters of an entry's text only, starting a little
# before the first place a searched word's stem appears (see PostgresBackend._headline).
HEADLINE_CHARS = 5_000
HEADLINE_LEAD = 1_000
_LEXEME_RE = re.compile(r"(!?)'((?:[^']|'')+)'")


class PostgresBackend:
    """websearch_to_tsquery against the stored, GIN-indexed vectors; ts_rank; ts_headline."""

    name = "postgresql"

    def _query(self, parsed: ParsedQuery) -> SearchQuery:
        return SearchQuery(parsed.text, search_type="websearch", config=search_config())

    def filter(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        """Entries whose vector matches the query (through the GIN index)."""
        return qs.filter(search_vector=self._query(parsed))

    def rank(self, qs: QuerySet, parsed: ParsedQuery) -> QuerySet:
        """Order matching entries best first, with a headline for each."""
        query = self._query(parsed)
        # The text itself stays in the database: only the headline of the page's rows is read
        # (PostgreSQL computes it after the sort and the LIMIT).
        return (
            qs.annotate(rank=SearchRank(F("search_vector"), query), headline=self._headline(parsed))
            .defer("text", "search_vector")
            .order_by("-rank", "-updated_at", "-pk")
        )

    def _headline(self, parsed: ParsedQuery) -> SearchHeadline:
        """ts_headline over a bounded piece of the text: it parses all the text it is given, so a
        long post would cost in proportion to its length. The piece starts HEADLINE_LEAD
        characters before the first occurrence of a searched stem (a stem is usually the start of
        the word: 'dress' in "dressings"), or at the start when none is found that way."""
        stems = [
            stem.replace("''", "'").lower()
            for negated, stem in _LEXEME_RE.findall(self._tsquery(parsed))
            if not negated
        ]
        if stems:
            text = "search_searchentry.text"
            first = ", ".join([f"NULLIF(strpos(lower({text}), %s), 0)"] * len(stems))
            piece = RawSQL(
                f"substr({text}, GREATEST(1, COALESCE(LEAST({first}), 1) - %s), %s)",  # noqa: S611
                (*stems, HEADLINE_LEAD, HEADLINE_CHARS),
                output_field=TextField(),
            )
        else:
            piece = Left("text", HEADLINE_CHARS)
        return SearchHeadline(
            piece,
            self._query(parsed),
            config=search_config(),
            start_sel=MARK_START,
            stop_sel=MARK_STOP,
            max_words=40,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
        )

    def snippet(self, entry: SearchEntry, parsed: ParsedQuery) -> SafeString:
        # Everything PostgreSQL returns is escaped; only our own markers become <mark>.
        return mark_safe(escape_marked(getattr(entry, "headline", "") or ""))  # noqa: S308

    def _tsquery(self, parsed: ParsedQuery) -> str:
        """The query as PostgreSQL reads it (asked once per search)."""
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

    def recent_matches(self, qs: QuerySet, parsed: ParsedQuery, limit: int) -> list[tuple]:
        """(id, rank) of the most recent *limit* matching entries, most recent first.

        The rank is computed in the same pass, for those *limit* rows only (in an outer query,
        after the LIMIT), so the page does not read the matching rows a second time to rank them.
        """
        matching = self.filter(qs, parsed).order_by()
        columns = matching.values_list("pk", "updated_at", "search_vector")
        if "<->" not in self._tsquery(parsed):
            # The planner picks: the GIN index for rare words, or the recency index read until
            # *limit* matches for common ones (a few thousand rows at most).
            sql, params = columns.order_by("-updated_at", "-pk")[:limit].query.sql_with_params()
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
                # The tsquery as PostgreSQL already parsed it (asked once per search).
                f"SELECT r.pk, ts_rank(r.search_vector, %s::tsquery) "  # noqa: S608
                f"FROM ({sql}) AS r(pk, updated_at, search_vector) "
                "ORDER BY r.updated_at DESC, r.pk DESC",
                [self._tsquery(parsed), *params],
            )
            return cursor.fetchall()

    def among(self, qs: QuerySet, ids: list[int]) -> QuerySet:
        """*qs* restricted to *ids*, passed as one array (not one parameter per id)."""
        return qs.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))

    def page(self, qs: QuerySet, ids: list[int], parsed: ParsedQuery) -> QuerySet:
        """The entries of one page (*ids*), with their headlines, in any order."""
        return (
            qs.filter(pk__in=ids)
            .annotate(headline=self._headline(parsed))
            .defer("text", "search_vector")
            .order_by()
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

    def recent_matches(self, qs: QuerySet, parsed: ParsedQuery, limit: int) -> list[tuple]:
        """(id, rank) of the most recent *limit* matching entries, most recent first."""
        matching = self.filter(qs, parsed).annotate(rank=self._title_hits(parsed))
        return list(matching.order_by("-updated_at", "-pk").values_list("pk", "rank")[:limit])

    def among(self, qs: QuerySet, ids: list[int]) -> QuerySet:
        return qs.filter(pk__in=ids)

    def page(self, qs: QuerySet, ids: list[int], parsed: ParsedQuery) -> QuerySet:
        """The entries of one page (*ids*), in any order."""
        return qs.filter(pk__in=ids).defer("search_vector").order_by()


def get_backend():
    return PostgresBackend() if uses_vectors() else SimpleBackend()
