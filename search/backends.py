"""Two ways to match and rank entries behind one interface: PostgreSQL full-text search over the
narrow match table, and a simple matcher for SQLite (every word must appear; title hits first,
then the most recent)."""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left
from django.utils.safestring import SafeString, mark_safe

from search.indexing import search_config, uses_vectors
from search.models import SearchEntry, SearchMatch
from search.text import (
    ParsedQuery,
    escape_marked,
    stem_pattern,
    stem_snippet_html,
    window_snippet,
)

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


@dataclass
class Scope:
    """Where a search looks: the communities the reader may read (``search.permissions``), by
    id, the page's filters (``selectors.SearchFilters``), and the same as a queryset of
    entries, built on demand (the simple matcher reads entries; PostgreSQL reads match rows by
    these communities' ids and shows a hit's community from them)."""

    communities: dict
    filters: object
    entries: Callable[[], QuerySet]


class PageUser(NamedTuple):
    username: str


class PageEntry:
    """One hit as a page shows it, read by the ranking statement: the attributes a SearchEntry
    read with PAGE_FIELDS has (``community.slug``, ``user.username``, ``tags``...), plus its
    rank and snippet source, without building model instances. Its community is one of those
    the reader may read, as ``search.permissions`` read them (*communities*, by id)."""

    __slots__ = (
        "rank",
        "pk",
        "kind",
        "object_id",
        "thread_id",
        "title",
        "tag_names",
        "item_kind",
        "is_solved",
        "updated_at",
        "community",
        "user",
        "snippet_source",
    )

    def __init__(self, row, communities: dict):
        (
            self.rank,
            self.pk,
            self.kind,
            self.object_id,
            self.thread_id,
            self.title,
            self.tag_names,
            self.item_kind,
            self.is_solved,
            self.updated_at,
            community_id,
            username,
        ) = row
        self.community = communities[community_id]
        self.user = None if username is None else PageUser(username)

    @property
    def id(self) -> int:
        return self.pk

    @property
    def tags(self) -> list[str]:
        return [t for t in self.tag_names.split("|") if t]


@dataclass
class Ranked:
    """A search's matches: how many (at most the ranked limit plus one, to tell that there were
    more) and the ranked entries to paginate."""

    found: int
    pages: object


class _RankedPages:
    """Ranked ids, best first: a slice fetches only its own entries, in the ranked order."""

    def __init__(self, ids: list[int], fetch):
        self.ids, self.fetch = ids, fetch

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key):
        ids = self.ids[key] if isinstance(key, slice) else [self.ids[key]]
        by_id = {entry.pk: entry for entry in self.fetch(ids)} if ids else {}
        page = [by_id[pk] for pk in ids if pk in by_id]
        return page if isinstance(key, slice) else page[0]


class _Window:
    """The ranked entries, best first, as Paginator and the API read them: their count, and
    slices. The rows read with the ranking serve any slice within them; another slice is read
    on its own."""

    def __init__(self, read, found: int, ranked: int, start: int, rows: list):
        self.read, self.total = read, min(found, ranked)
        self.start, self.rows = start, rows

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start = key.start or 0
        stop = self.total if key.stop is None else min(key.stop, self.total)
        if stop <= start:
            return []
        end = self.start + len(self.rows)  # the rows read cover [self.start, end)
        if not (self.start <= start and (stop <= end or end >= self.total)):
            _, self.start, self.rows = self.read(start, stop - start)
        return self.rows[start - self.start : stop - self.start]


def _source_of(text: str, stems: list[str]) -> str:
    """What _snippet_source reads in SQL, cut from the whole *text* in Python: the same
    characters (strpos on lower() there, str.find on str.lower() here)."""
    lowered, first = text.lower(), -1
    for stem in stems:
        at = lowered.find(stem)
        if at >= 0 and (first < 0 or at < first):
            first = at
    start = max(0, first - SNIPPET_SOURCE_LEAD)  # from the start when no stem is found
    return text[start : start + SNIPPET_SOURCE_CHARS]


@functools.cache
def _page_sql(*, first_page: bool) -> str:
    """The end of the ranking statement, after its CTE m (the most recent matches, at most the
    ranked limit plus one, with their rank): the count of m, the query as PostgreSQL parsed it,
    where the page starts, and the page's entries with their snippet sources. One row with only
    the first three when the page is empty.

    The page is the ranked limit's most recent rows of m, ordered by rank, recency and id, from
    the start asked for; past the last page (or before the first), the last page, as Paginator
    shows it. The first page starts at 0 whatever the count (the last page of none is the
    first), so its statement leaves that step out (less to plan: 0.05 ms). Its entries (and
    members' usernames) are read for those 25 rows only.

    A snippet source is SNIPPET_SOURCE_CHARS of the text from SNIPPET_SOURCE_LEAD characters
    before the first place a searched lexeme appears (as _snippet_source, whose lexemes come
    from the query's text read the way _stems reads it: the same pattern, negated ones left
    out). A short text comes whole, and its source is cut in Python (_source_of).
    """
    entries, users = SearchEntry._meta.db_table, get_user_model()._meta.db_table
    # The searched lexemes, for long texts only (an uncorrelated subquery: evaluated once, and
    # only if a long text is on the page). A PL/pgSQL function of the text and the query would
    # spare planning it (0.06 ms) but reads the lexemes again for every long text: 25 texts of
    # 1,700 characters took 1.31 ms against 0.77 inline (bench/README.md, stop 16).
    stems = (
        "(SELECT array_agg(lower(replace(x[2], %s, %s))) "
        "FROM regexp_matches(websearch_to_tsquery(%s::regconfig, %s)::text, %s, 'g') AS x "
        "WHERE x[1] = '')"
    )
    if first_page:
        start, offset, where = "0", "0", ""
    else:
        start, offset = "o.start", "o.start"
        where = (
            "CROSS JOIN LATERAL (SELECT CASE WHEN %s < LEAST(c.n, %s) THEN %s "
            "ELSE GREATEST(LEAST(c.n, %s) - 1, 0) / %s * %s END AS start) AS o "
        )
    return (
        f"SELECT c.n, websearch_to_tsquery(%s::regconfig, %s)::text, {start}, p.rank, e.id, "
        "e.kind, e.object_id, e.thread_id, e.title, e.tag_names, e.item_kind, e.is_solved, "
        # The member's username as a scalar subquery (cheaper to plan than a join), run for
        # member entries only (the others have no user: no lookup of a NULL id for them).
        f"e.updated_at, e.community_id, CASE WHEN e.user_id IS NOT NULL THEN "
        f"(SELECT username FROM {users} WHERE id = e.user_id) END, "
        "octet_length(e.text) <= %s, "
        "CASE WHEN octet_length(e.text) <= %s THEN e.text "
        "ELSE substr(e.text, GREATEST(1, COALESCE((SELECT min(NULLIF(strpos(lower(e.text), st), "
        f"0)) FROM unnest({stems}) AS st), 1) - %s), %s) END "
        f"FROM (SELECT count(*) AS n FROM m) AS c {where}"
        "LEFT JOIN LATERAL (SELECT r.* FROM (SELECT * FROM m "
        "ORDER BY updated_at DESC, entry_id DESC LIMIT %s) AS r "
        f"ORDER BY r.rank DESC, r.updated_at DESC, r.entry_id DESC OFFSET {offset} LIMIT %s) "
        f"AS p ON true LEFT JOIN {entries} AS e ON e.id = p.entry_id "
        "ORDER BY p.rank DESC, p.updated_at DESC, p.entry_id DESC"
    )


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
        if getattr(self, "_pattern_of", None) != parsed.text:  # one pattern per search
            stems = self._stems(parsed)
            self._pattern_of, self._pattern, self._snippet_stems = (
                parsed.text,
                stem_pattern(stems),
                sorted(set(stems)),
            )
        # Everything is escaped; only our own markers become <mark>.
        return SafeString(stem_snippet_html(source, self._snippet_stems, pattern=self._pattern))

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

    def ranked(
        self, *, scope: Scope, parsed: ParsedQuery, ranked: int, start: int, size: int
    ) -> Ranked:
        """The most recent *ranked* matches in *scope*, best first (rank, then recency), with
        the entries from *start* to *start* + *size* read by the same statement."""
        matches_sql, matches_params = self._ranked_sql(scope=scope, parsed=parsed, ranked=ranked)
        communities, stems = scope.communities, None

        def read(offset: int, limit: int) -> tuple[int, int, list[PageEntry]]:
            nonlocal stems
            sql = matches_sql + _page_sql(first_page=not offset)
            params = [*matches_params, *self._page_params(parsed, ranked, offset, limit)]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            found, self._tsquery_text, start = rows[0][:3]
            if stems is None:
                stems = self._stems(parsed)
            page = []
            for row in rows if rows[0][4] is not None else ():  # else no entries, one row
                entry = PageEntry(row[3:-2], communities)
                whole, text = row[-2:]
                entry.snippet_source = _source_of(text, stems) if whole else text
                page.append(entry)
            return found, start, page

        found, start, rows = read(start, size)
        return Ranked(found=found, pages=_Window(read, found, ranked, start, rows))

    def _ranked_sql(self, *, scope: Scope, parsed: ParsedQuery, ranked: int) -> tuple[str, list]:
        """The ranking statement's CTE m: the most recent matches in *scope* (at most *ranked*
        plus one, to tell that there are more), found as ``recent_matches`` finds them, each
        with its rank (``ts_rank``, computed for those rows only, after the LIMIT). Only their
        ids, recency and rank are kept: the vectors stay in the scan.
        """
        query = "websearch_to_tsquery(%s::regconfig, %s)"
        rank_params = [search_config(), parsed.text]
        plain = all(_PLAIN_WORD_RE.fullmatch(word) for word in parsed.text.split())
        if plain:
            where, params = [f"vector @@ {query}"], [*rank_params]
        else:
            # A phrase: through the GIN index of adjacent word pairs when the query requires
            # some (migration 0007), read alone (the phrase's own test, as a function, is no
            # index condition: checked on those candidates only), else through the vector's.
            # PostgreSQL folds the CASE when it plans the statement.
            pairs = f"search_phrase_pairs({query})"
            where = [
                f"CASE WHEN {pairs} IS NULL THEN vector @@ {query} ELSE "
                f"search_word_pairs(vector) @@ {pairs} AND ts_match_vq(vector, {query}) END"
            ]
            params = rank_params * 4
        where.append("community_id = ANY(%s)")
        params.append(list(scope.communities))
        filters = scope.filters
        if filters.community is not None:
            where.append("community_id = %s")
            params.append(filters.community.pk)
        if filters.kind:
            where.append("kind = %s")
            params.append(filters.kind)
        if filters.item_kind:
            where.append("kind = %s AND item_kind = %s")
            params += [Kind.ITEM, filters.item_kind]
        if filters.tag:  # what tag_names__icontains says on PostgreSQL (selectors._filtered)
            where.append("UPPER(tag_names::text) LIKE UPPER(%s)")
            tag = connection.ops.prep_for_like_query(f"|{filters.tag.replace('|', '/')}|")
            params.append(f"%{tag}%")
        if filters.solved is not None:
            where.append("is_solved = %s")
            params.append(filters.solved)
        found = (
            f"SELECT entry_id, updated_at, vector FROM {SearchMatch._meta.db_table} "  # noqa: S608
            f"WHERE {' AND '.join(where)}"
        )
        recent = "ORDER BY updated_at DESC, entry_id DESC LIMIT %s"
        rank = (
            "m AS MATERIALIZED (SELECT x.entry_id, x.updated_at, "
            f"ts_rank(x.vector, {query}) AS rank FROM "
        )
        if plain:
            # As in recent_matches: the planner picks the GIN index or the recency index.
            sql = f"WITH {rank}({found} {recent}) AS x) "
            return sql, [*rank_params, *params, ranked + 1]
        # A phrase: collect the matches through a GIN index first (see recent_matches).
        sql = f"WITH a AS MATERIALIZED ({found}), {rank}(SELECT * FROM a {recent}) AS x) "
        return sql, [*params, *rank_params, ranked + 1]

    def _page_params(self, parsed: ParsedQuery, ranked: int, offset: int, limit: int) -> list:
        """The parameters of _page_sql(first_page=not offset), in its order, for the page of
        *limit* rows from *offset* among the *ranked* most recent matches."""
        config, text = search_config(), parsed.text
        short = SNIPPET_SOURCE_CHARS
        return [
            *(config, text),  # the query as PostgreSQL parsed it
            short,
            short,
            *("''", "'", config, text, _LEXEME_RE.pattern),  # the stems (a quote is doubled)
            SNIPPET_SOURCE_LEAD,
            SNIPPET_SOURCE_CHARS,
            # where the page starts
            *(() if not offset else (offset, ranked, offset, ranked, limit, limit)),
            ranked,
            limit,
        ]

    def among(self, qs: QuerySet, ids: list[int]) -> QuerySet:
        """*qs* restricted to *ids*, passed as one array (not one parameter per id)."""
        return qs.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))

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

    def ranked(
        self, *, scope: Scope, parsed: ParsedQuery, ranked: int, start: int, size: int
    ) -> Ranked:
        """The most recent *ranked* matches in *scope*, best first; a page's entries are read
        when it is asked for (*start* and *size* are PostgreSQL's business)."""
        entries = scope.entries()
        rows = self.recent_matches(matches=None, entries=entries, parsed=parsed, limit=ranked + 1)
        # Best first: rank, then the most recent (the order the rows came in). sorted() is stable.
        ids = [pk for pk, _ in sorted(rows[:ranked], key=lambda row: row[1], reverse=True)]
        return Ranked(
            found=len(rows),
            pages=_RankedPages(ids, lambda page_ids: self.page(entries, page_ids, parsed)),
        )

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
