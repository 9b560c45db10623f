"""Reads for the search page: which entries match, in which order, and how each hit shows."""

import functools
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.db.models import QuerySet
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

from knowledge.models import Item
from search import permissions
from search.backends import Scope, get_backend
from search.models import SearchEntry
from search.text import ParsedQuery, escape_marked, parse_query, window_snippet

Kind = SearchEntry.Kind

# Ranking reads every matching vector, so a common word over a large community would read most
# of the index. Search ranks the most recent matches only, at most this many (the page says
# so): a constant amount of work per search, whatever the size of the community. It is also
# below SQLite's 999 query parameters, as the ids are passed on.
MAX_RANKED = 500

KIND_LABELS = {
    Kind.THREAD: "Threads",
    Kind.POST: "Answers and replies",
    Kind.ITEM: "Library",
    Kind.MEMBER: "Members",
}


def item_kind_choices() -> list[tuple[str, str]]:
    return list(Item.Kind.choices)


@dataclass
class SearchFilters:
    community: object = None  # a Community the reader may read, or None for all of them
    kind: str = ""
    item_kind: str = ""
    tag: str = ""
    solved: bool | None = None

    @property
    def any(self) -> bool:
        return bool(
            self.community or self.kind or self.item_kind or self.tag or self.solved is not None
        )


@dataclass
class SearchOutcome:
    """What to show: entries to paginate (or None), and messages about the query."""

    parsed: ParsedQuery
    entries: QuerySet | None = None
    message: str = ""
    notices: list[str] = field(default_factory=list)
    backend: object = None
    # More matches than MAX_RANKED: only the most recent MAX_RANKED were ranked.
    capped: bool = False
    # How many entries match, when the search already knows (no second count query).
    total: int | None = None
    # A search: its ranked entries, best first, read a page at a time (see backends.Ranked).
    ranked: object = None

    def paginatable(self):
        """What to paginate: the entries, or for a search its ranked entries, whose pages are
        read one at a time (25 rows, not the ranked 500)."""
        if self.ranked is not None:
            return self.ranked
        return self.entries if self.total is None else _Counted(self.entries, self.total)


class _Counted:
    """A queryset whose length is known: Paginator slices it without counting again."""

    def __init__(self, queryset: QuerySet, total: int):
        self.queryset, self.total = queryset, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.queryset[key]


def page_start(page, per_page: int) -> int:
    """Where the page asked for (as typed in ?page=) starts, for a search to read that page's
    entries with its ranking: the first page for what is not a number, and past the end for a
    number below 1 or beyond the pages (the ranking reads the last page then), which is what
    Paginator.get_page shows."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        return 0
    if number < 1 or number > MAX_RANKED // per_page + 1:
        return MAX_RANKED
    return (number - 1) * per_page


def search(
    *, user, q: str | None, filters: SearchFilters, page=None, rows: slice | None = None
) -> SearchOutcome:
    """Match *q* with *filters* among the entries *user* may find, best first; *page* is the
    page number the reader asked for, or *rows* the slice of the ranked entries the caller will
    read (the API's offset and limit): either is read together with the ranking.

    With no words but some filter, list what the filters select, most recent first.
    """
    parsed = parse_query(q)
    outcome = SearchOutcome(parsed=parsed, notices=list(parsed.notices), backend=get_backend())
    if parsed.text and not parsed.has_words:
        outcome.message = (
            "There is nothing to search for in what you typed: it has no letters or digits. "
            "Type a word or two."
        )
        return outcome
    if not parsed.has_words and not filters.any:
        return outcome

    def entries() -> QuerySet:
        return _filtered(
            permissions.searchable_entries(user).select_related("community", "user"), filters
        )

    if not parsed.has_words:
        outcome.entries = entries().defer("search_vector").order_by("-updated_at", "-pk")
        return outcome
    backend = outcome.backend
    scope = Scope(
        communities={c.pk: c for c in permissions.searchable_communities(user).values()},
        filters=filters,
        entries=entries,
    )
    if rows is None:
        size = settings.PRACTICA_PAGE_SIZE
        start = page_start(page, size)
    else:  # past the ranked entries, the slice is empty whatever its start
        start, size = min(rows.start or 0, MAX_RANKED), max(rows.stop - (rows.start or 0), 1)
    # One query (on PostgreSQL) finds the most recent matches, ranks them, and reads the page's
    # entries; the simple matcher ranks ids and reads a page when it is asked for.
    ranked = backend.ranked(scope=scope, parsed=parsed, ranked=MAX_RANKED, start=start, size=size)
    if not ranked.found and backend.nothing_to_match(parsed):
        outcome.message = too_common_message(parsed)
        return outcome
    outcome.capped = ranked.found > MAX_RANKED
    outcome.total = min(ranked.found, MAX_RANKED)
    outcome.ranked = ranked.pages

    def as_queryset():
        # The same entries as a queryset in the same order, for callers that want one (built
        # on first use, by the queryset path and the reader's permission filter in SQL; the
        # page itself reads only ranked.pages).
        matches = _filtered(permissions.searchable_matches(user), filters)
        rows = backend.recent_matches(
            matches=matches, entries=entries(), parsed=parsed, limit=MAX_RANKED + 1
        )[:MAX_RANKED]
        ids = [pk for pk, _ in sorted(rows, key=lambda row: row[1], reverse=True)]
        return backend.rank(backend.among(entries(), ids), parsed)

    outcome.entries = SimpleLazyObject(as_queryset)
    return outcome


def _filtered(qs: QuerySet, filters: SearchFilters) -> QuerySet:
    """*qs* (entries or match rows: both have these columns) narrowed by *filters*."""
    if filters.community is not None:
        qs = qs.filter(community=filters.community)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.item_kind:
        qs = qs.filter(kind=Kind.ITEM, item_kind=filters.item_kind)
    if filters.tag:
        qs = qs.filter(tag_names__icontains=f"|{filters.tag.replace('|', '/')}|")
    if filters.solved is not None:
        qs = qs.filter(is_solved=filters.solved)
    return qs


def too_common_message(parsed: ParsedQuery) -> str:
    return (
        f"“{parsed.text}” is made only of very common words, which search leaves out. "
        "Add a more specific word."
    )


@dataclass
class Hit:
    kind: str
    title: str
    url: str
    community_name: str
    community_url: str
    snippet: SafeString
    tags: list[str]
    is_solved: bool | None
    item_kind: str
    updated_at: object


@functools.lru_cache(maxsize=4096)
def _reversed(name: str, args: tuple, urlconf: str, script_prefix: str) -> str:
    """reverse() kept for the process: what it returns depends on these only."""
    return reverse(name, args=list(args), urlconf=urlconf)


def _reverse(name: str, args: tuple) -> str:
    # The URLconf and script prefix in force (a request may set either) are part of the key.
    return _reversed(name, args, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


class _Addresses:
    """Result addresses from one reverse() per community and kind (each kept for the process),
    not one per row."""

    def __init__(self):
        self._prefixes: dict[tuple[str, str], str] = {}

    def _prefix(self, name: str, slug: str) -> str:
        key = (name, slug)
        if key not in self._prefixes:
            try:
                self._prefixes[key] = _reverse(name, (slug, 0)).removesuffix("0/")
            except NoReverseMatch:  # the library's pages are not wired in (yet)
                self._prefixes[key] = f"/c/{slug}/library/"
        return self._prefixes[key]

    def community(self, slug: str) -> str:
        if ("home", slug) not in self._prefixes:
            self._prefixes["home", slug] = _reverse("communities:home", (slug,))
        return self._prefixes["home", slug]

    def of(self, entry: SearchEntry, slug: str) -> str:
        if entry.kind in (Kind.THREAD, Kind.POST):
            if entry.kind == Kind.POST:  # its own address leads to its page of the thread
                return f"{self._prefix('practice:post', slug)}{entry.object_id}/"
            return f"{self._prefix('practice:thread', slug)}{entry.thread_id}/"
        if entry.kind == Kind.ITEM:
            return f"{self._prefix('knowledge:item', slug)}{entry.object_id}/"
        if "profile" not in self._prefixes:
            self._prefixes["profile"] = _reverse("communities:profile", ("-",)).removesuffix("-/")
        return f"{self._prefixes['profile']}{quote(entry.user.username, safe='@+')}/"


def hits(entries, outcome: SearchOutcome) -> list[Hit]:
    """Present a page of entries (already fetched with their community and member)."""
    item_kinds = dict(item_kind_choices())
    addresses = _Addresses()
    result = []
    for entry in entries:
        slug = entry.community.slug
        result.append(
            Hit(
                kind=entry.kind,
                title=entry.title,
                url=addresses.of(entry, slug),
                community_name=entry.community.name,
                community_url=addresses.community(slug),
                snippet=outcome.backend.snippet(entry, outcome.parsed)
                if outcome.parsed.has_words
                else _plain_snippet(entry),
                tags=entry.tags,
                is_solved=entry.is_solved,
                item_kind=item_kinds.get(entry.item_kind, ""),
                updated_at=entry.updated_at,
            )
        )
    return result


def _plain_snippet(entry: SearchEntry) -> SafeString:
    text = entry.__dict__.get("text")  # deferred on PostgreSQL searches; loaded when browsing
    return SafeString(escape_marked(window_snippet(text or "", [])))


def group_by_kind(page_hits: list[Hit]) -> list[tuple[str, str, list[Hit]]]:
    """Group a page's hits by kind, groups in the order of their best hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in page_hits:
        groups.setdefault(hit.kind, []).append(hit)
    return [(kind, KIND_LABELS[kind], items) for kind, items in groups.items()]


# Similar questions on the new-thread form: a few, from the title's most telling words.
SIMILAR_LIMIT = 5
SIMILAR_TERMS = 8
SIMILAR_MIN_CHARS = 3


@dataclass
class SimilarThread:
    title: str
    url: str
    is_solved: bool | None


def similar_threads(*, user, community, title: str) -> list[SimilarThread]:
    """Threads of *community* that *user* may read whose words overlap *title*, most alike
    first (two queries, whatever the size of the community)."""
    terms = [t for t in parse_query(title).terms if len(t) >= SIMILAR_MIN_CHARS][:SIMILAR_TERMS]
    if not terms:
        return []
    entries = permissions.searchable_entries(user).filter(community=community, kind=Kind.THREAD)
    matches = permissions.searchable_matches(user).filter(community=community, kind=Kind.THREAD)
    ids = get_backend().similar(matches=matches, entries=entries, terms=terms, limit=SIMILAR_LIMIT)
    if not ids:
        return []
    by_id = {e.pk: e for e in entries.filter(pk__in=ids).only("thread_id", "title", "is_solved")}
    base = reverse("practice:thread", args=[community.slug, 0]).removesuffix("0/")
    found = [by_id[pk] for pk in ids if pk in by_id]
    return [SimilarThread(e.title, f"{base}{e.thread_id}/", e.is_solved) for e in found]
