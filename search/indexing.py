"""Keep the search index in step with the content.

The content services call these functions inside their own transaction, so an entry changes
together with what it indexes (and on PostgreSQL, its weighted vector with it). Each call reads
the current state of the thing and writes what should be in the index now: calling one twice,
or for something that is gone, is harmless. Writes are upserts on (kind, object_id), so two
concurrent calls for the same thing cannot collide on the unique constraint.

What is indexed is what every reader of the community may see: threads and posts that are not
hidden, published repertoire items, and active members with their name, professional group,
expertise, and occupation only when their profile shows details to everyone. Which communities
a reader may search is decided by ``search.permissions.searchable_entries``.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.db.models.functions import Replace
from django.utils import timezone
from taggit.models import TaggedItem as TaggitItem

from communities import permissions as community_permissions
from communities.models import Community, Membership, Profile
from core.copy_rows import copied_to_batch_table, copy_text
from knowledge.models import Item, TaggedItem
from practice.models import Post, TaggedThread, Thread
from search.models import TEXT_MAX_CHARS, SearchEntry, SearchMatch
from search.text import clean_text, html_to_text, index_text, tag_field

Kind = SearchEntry.Kind
# How many threads (with their posts) or members are read and written per batch when
# rebuilding: a few thousand entries per statement keep memory flat and statements fast.
REBUILD_BATCH = 500
# From how many entries a write on PostgreSQL goes by COPY (``_write_by_copy``): from one, as
# it costs less CPU than the ORM's upsert at every size bench/search_write.py measures (1.2-1.3x
# for 1-16 entries, 2.2x for 1,000). The ORM path stays SQLite's, and the reference the tests
# compare COPY with.
COPY_MIN_ENTRIES = 1
_UPSERT_FIELDS = [
    "community",
    "thread",
    "user",
    "title",
    "text",
    "tag_names",
    "item_kind",
    "is_solved",
    "created_at",
    "updated_at",
    "indexed_at",
]


def search_config() -> str:
    """The PostgreSQL text-search configuration (a language) for indexing and querying."""
    return settings.SEARCH_LANGUAGE


def uses_vectors() -> bool:
    return connection.vendor == "postgresql"


def vector_expression():
    """The weighted vector of an entry: A its own title, B its tags, C its text."""
    config = search_config()
    own_title = Case(
        When(kind=Kind.POST, then=Value("")), default=F("title"), output_field=TextField()
    )
    tags = Replace(F("tag_names"), Value("|"), Value(" "), output_field=TextField())
    return (
        SearchVector(own_title, weight="A", config=config)
        + SearchVector(tags, weight="B", config=config)
        + SearchVector("text", weight="C", config=config)
    )


# The narrow match table's columns, and the entry columns they copy (in that order).
_MATCH_COLUMNS = {
    "entry_id": "pk",
    "community_id": "community_id",
    "kind": "kind",
    "item_kind": "item_kind",
    "is_solved": "is_solved",
    "tag_names": "tag_names",
    "updated_at": "updated_at",
    "vector": "search_vector",
}


def _sync_matches(entries) -> None:
    """Copy *entries* (a queryset of SearchEntry) into the narrow match table: one INSERT …
    SELECT … ON CONFLICT, the same statement on PostgreSQL and SQLite (the SELECT always has a
    WHERE, which SQLite needs to read ON CONFLICT as the upsert's)."""
    select, params = (
        entries.order_by().values_list(*_MATCH_COLUMNS.values()).query.sql_with_params()
    )
    columns = ", ".join(_MATCH_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _MATCH_COLUMNS if c != "entry_id")
    table = SearchMatch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {select} "  # noqa: S608 (the ORM's own SQL)
            f"ON CONFLICT (entry_id) DO UPDATE SET {updates}",
            params,
        )


def _delete(entries) -> None:
    """Delete *entries* (a queryset) and their match rows (reading their ids only)."""
    entries.only("pk").delete()


def _write(entries: list[SearchEntry]) -> None:
    """Insert or update *entries* and their match rows and, on PostgreSQL, their vectors."""
    if not entries:
        return
    if uses_vectors() and len(entries) >= COPY_MIN_ENTRIES:
        _write_by_copy(entries)
        return
    with transaction.atomic():
        SearchEntry.objects.bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=_UPSERT_FIELDS,
        )
        ids_by_kind: dict[str, list[int]] = {}
        for entry in entries:
            ids_by_kind.setdefault(entry.kind, []).append(entry.object_id)
        which = Q()
        for kind, ids in ids_by_kind.items():
            which |= Q(kind=kind, object_id__in=ids)
        if uses_vectors():
            SearchEntry.objects.filter(which).update(search_vector=vector_expression())
        _sync_matches(SearchEntry.objects.filter(which))


# The batch's columns as COPY sends them to the temporary table (the entry's own names).
_COPY_COLUMNS = ["kind", "object_id", "community_id", "thread_id", "user_id"] + [
    name for name in _UPSERT_FIELDS if name not in ("community", "thread", "user")
]
_BATCH_TABLE = "search_entry_batch"


def _vector_sql(alias: str) -> str:
    """``vector_expression()`` as SQL over the columns of *alias* (the same functions, weights
    and configuration, so the stored vectors are identical)."""
    return (
        f"setweight(to_tsvector(%(config)s::regconfig, COALESCE(CASE WHEN ({alias}.kind = "
        f"%(post)s) THEN '' ELSE {alias}.title END, '')), 'A') || "
        f"setweight(to_tsvector(%(config)s::regconfig, "
        f"COALESCE(REPLACE({alias}.tag_names, '|', ' '), '')), 'B') || "
        f"setweight(to_tsvector(%(config)s::regconfig, COALESCE({alias}.text, '')), 'C')"
    )


def _write_by_copy(entries: list[SearchEntry]) -> None:
    """``_write`` on PostgreSQL for a batch: the entries by COPY into a temporary table, then
    one statement that upserts them with their vectors and their match rows from what it wrote.

    Django compiling the multi-row INSERT was most of the importers' time in the index; COPY
    takes the rows as text, and computing the vector in the INSERT saves the second pass."""
    now = timezone.now()
    lines = []
    for entry in entries:
        # What bulk_create's pre_save does for the auto_now field.
        entry.indexed_at = now
        lines.append("\t".join([copy_text(getattr(entry, name)) for name in _COPY_COLUMNS]))
    columns = ", ".join(_COPY_COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in _COPY_COLUMNS[2:])
    match_columns = ", ".join(_MATCH_COLUMNS)
    match_updates = ", ".join(f"{c} = excluded.{c}" for c in _MATCH_COLUMNS if c != "entry_id")
    match_select = ", ".join(
        "id" if source == "pk" else source for source in _MATCH_COLUMNS.values()
    )
    entry_table = SearchEntry._meta.db_table
    match_table = SearchMatch._meta.db_table
    definition = (
        "kind varchar(8), object_id bigint, community_id bigint, thread_id bigint, "
        "user_id integer, title varchar(300), text text, tag_names text, "
        "item_kind varchar(16), is_solved boolean, created_at timestamptz, "
        "updated_at timestamptz, indexed_at timestamptz"
    )
    batch = "\n".join(lines) + "\n"
    with copied_to_batch_table(_BATCH_TABLE, definition, columns, batch) as cursor:
        cursor.execute(
            f"WITH written AS ("  # noqa: S608 (names from the models, values as parameters)
            f"INSERT INTO {entry_table} ({columns}, search_vector) "
            f"SELECT {columns}, {_vector_sql('b')} FROM {_BATCH_TABLE} b "
            f"ON CONFLICT (kind, object_id) DO UPDATE SET {updates}, "
            f"search_vector = excluded.search_vector "
            f"RETURNING {match_select}) "
            f"INSERT INTO {match_table} ({match_columns}) SELECT {match_select} FROM written "
            f"ON CONFLICT (entry_id) DO UPDATE SET {match_updates}",
            {"config": search_config(), "post": Kind.POST.value},
        )


def _title(value: str) -> str:
    return clean_text(value)[:300]


# --- threads and posts -------------------------------------------------------------------------


def _tag_names(through, model, object_ids) -> dict[int, list[str]]:
    """Return the tag names of each *model* object in *object_ids* (ids or a subquery), sorted,
    read from the taggit *through* table."""
    rows = (
        through.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=object_ids
        )
        .order_by("tag__name")
        .values_list("object_id", "tag__name")
    )
    tags: dict[int, list[str]] = {}
    for object_id, name in rows:
        tags.setdefault(object_id, []).append(name)
    return tags


def _thread_tags(thread_ids: list[int]) -> dict[int, list[str]]:
    return _tag_names(TaggedThread, Thread, thread_ids)


def _solved(thread) -> bool | None:
    return (thread.accepted_post_id is not None) if thread.is_question else None


def _thread_entries(threads: list, posts: Iterable, tags: dict[int, list[str]]) -> list:
    """Entries for visible *threads* and the visible, non-opening *posts* among them."""
    by_id = {t.pk: t for t in threads}
    entries = []
    for thread in threads:
        opening = thread.opening_post
        body = html_to_text(opening.body_html) if opening is not None else ""
        entries.append(
            SearchEntry(
                kind=Kind.THREAD,
                object_id=thread.pk,
                community_id=thread.community_id,
                thread_id=thread.pk,
                title=_title(thread.title),
                text=index_text(body, limit=TEXT_MAX_CHARS),
                tag_names=tag_field(tags.get(thread.pk, [])),
                is_solved=_solved(thread),
                created_at=thread.created_at,
                updated_at=thread.last_activity_at,
            )
        )
    for post in posts:
        thread = by_id[post.thread_id]
        entries.append(
            SearchEntry(
                kind=Kind.POST,
                object_id=post.pk,
                community_id=thread.community_id,
                thread_id=thread.pk,
                title=_title(thread.title),
                text=index_text(html_to_text(post.body_html), limit=TEXT_MAX_CHARS),
                tag_names=tag_field(tags.get(thread.pk, [])),
                is_solved=_solved(thread),
                created_at=post.created_at,
                updated_at=post.edited_at or post.created_at,
            )
        )
    return entries


def _visible_posts(thread_ids):
    return (
        Post.objects.filter(thread_id__in=thread_ids, is_hidden=False, is_opening=False)
        .only("pk", "thread_id", "body_html", "created_at", "edited_at")
        .order_by("pk")
    )


def thread_changed(thread_id: int) -> None:
    """Re-index a thread (its opening post is its text) and its posts; drop them all if the
    thread is hidden or gone."""
    thread = Thread.objects.select_related("opening_post").filter(pk=thread_id).first()
    with transaction.atomic():
        if thread is None or thread.is_hidden:
            _delete(
                SearchEntry.objects.filter(
                    Q(thread_id=thread_id) | Q(kind=Kind.THREAD, object_id=thread_id)
                )
            )
            return
        posts = list(_visible_posts([thread.pk]))
        _write(_thread_entries([thread], posts, _thread_tags([thread.pk])))
        _delete(
            SearchEntry.objects.filter(thread_id=thread.pk, kind=Kind.POST).exclude(
                object_id__in=[p.pk for p in posts]
            )
        )


def threads_changed(thread_ids: list[int]) -> None:
    """Re-index many threads and their posts at once (a bulk import), as ``thread_changed``
    does for each."""
    threads = list(Thread.objects.select_related("opening_post").filter(pk__in=thread_ids))
    visible = [t for t in threads if not t.is_hidden]
    shown = {t.pk for t in visible}
    gone = [pk for pk in thread_ids if pk not in shown]
    with transaction.atomic():
        if gone:
            _delete(
                SearchEntry.objects.filter(
                    Q(thread_id__in=gone) | Q(kind=Kind.THREAD, object_id__in=gone)
                )
            )
        if not visible:
            return
        ids = sorted(shown)
        posts = list(_visible_posts(ids))
        _write(_thread_entries(visible, posts, _thread_tags(ids)))
        _delete(
            SearchEntry.objects.filter(thread_id__in=ids, kind=Kind.POST).exclude(
                object_id__in=[p.pk for p in posts]
            )
        )


def post_changed(post_id: int) -> None:
    """Re-index a post; drop it if hidden or gone. An opening post re-indexes its thread."""
    post = (
        Post.objects.select_related("thread")
        .only(
            "pk",
            "is_opening",
            "is_hidden",
            "body_html",
            "created_at",
            "edited_at",
            "thread_id",
            "thread__id",
            "thread__community",
            "thread__title",
            "thread__kind",
            "thread__accepted_post",
            "thread__is_hidden",
            "thread__last_activity_at",
        )
        .filter(pk=post_id)
        .first()
    )
    if post is not None and post.is_opening:
        thread_changed(post.thread_id)
        return
    if post is None or post.is_hidden or post.thread.is_hidden:
        _delete(SearchEntry.objects.filter(kind=Kind.POST, object_id=post_id))
        return
    thread = post.thread
    with transaction.atomic():
        _write(_thread_entries([thread], [post], _thread_tags([thread.pk]))[1:])
        # A new post is the thread's latest activity: results sort recent threads first.
        _thread_entry_touch(thread.pk, thread.last_activity_at)


def _thread_entry_touch(thread_id: int, updated_at) -> None:
    """Set the thread's entry's and match row's ``updated_at``: one statement on PostgreSQL
    (the entry's UPDATE in a CTE whose ids the match row's takes), two elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH touched AS (UPDATE {SearchEntry._meta.db_table} SET updated_at = %s "  # noqa: S608 (names from the models)
                "WHERE kind = %s AND object_id = %s RETURNING id) "
                f"UPDATE {SearchMatch._meta.db_table} SET updated_at = %s "
                "WHERE entry_id IN (SELECT id FROM touched)",
                [updated_at, Kind.THREAD.value, thread_id, updated_at],
            )
        return
    SearchEntry.objects.filter(kind=Kind.THREAD, object_id=thread_id).update(updated_at=updated_at)
    SearchMatch.objects.filter(entry__kind=Kind.THREAD, entry__object_id=thread_id).update(
        updated_at=updated_at
    )


# --- repertoire items --------------------------------------------------------------------------


def _item_entries(items: list, tags: dict[int, list[str]]) -> list:
    entries = []
    for item in items:
        body = html_to_text(item.body_html) if item.body_html else clean_text(item.body)
        entries.append(
            SearchEntry(
                kind=Kind.ITEM,
                object_id=item.pk,
                community_id=item.community_id,
                title=_title(item.title),
                text=index_text(clean_text(item.summary), body, limit=TEXT_MAX_CHARS),
                tag_names=tag_field(tags.get(item.pk, [])),
                item_kind=item.kind,
                created_at=item.published_at or item.created_at,
                updated_at=item.updated_at,
            )
        )
    return entries


def _item_tags(item_ids: list[int]) -> dict[int, list[str]]:
    return _tag_names(TaggedItem, Item, item_ids)


def _published_items():
    return Item.objects.filter(state=Item.State.PUBLISHED)


def item_changed(item_id: int) -> None:
    """Re-index a repertoire item; only published items are in the index."""
    item = _published_items().filter(pk=item_id).first()
    with transaction.atomic():
        if item is None:
            _delete(SearchEntry.objects.filter(kind=Kind.ITEM, object_id=item_id))
            return
        _write(_item_entries([item], _item_tags([item.pk])))


# --- members -----------------------------------------------------------------------------------


def _member_entries(memberships: list, expertise: dict[int, list[str]]) -> list:
    entries = []
    for membership in memberships:
        user = membership.user
        profile = getattr(user, "profile", None)
        name = (profile.display_name if profile else "") or user.username
        parts = [f"@{user.username}"]
        # Occupation and expertise only when the profile shows its details to everyone: a
        # reader of an open community may be anybody. The group is always on the members list.
        details_public = community_permissions.profile_details_public(profile)
        if profile is not None:
            if details_public and profile.occupation:
                parts.append(clean_text(profile.occupation))
            if profile.professional_group is not None:
                parts.append(clean_text(profile.professional_group.name))
        changed = [membership.updated_at] + ([profile.updated_at] if profile else [])
        entries.append(
            SearchEntry(
                kind=Kind.MEMBER,
                object_id=membership.pk,
                community_id=membership.community_id,
                user_id=user.pk,
                title=_title(name),
                text=index_text(" · ".join(parts), limit=TEXT_MAX_CHARS),
                tag_names=tag_field(expertise.get(user.pk, []) if details_public else []),
                created_at=membership.joined_at or membership.created_at,
                updated_at=max(changed),
            )
        )
    return entries


def _expertise(user_ids: list[int]) -> dict[int, list[str]]:
    by_profile = _tag_names(
        TaggitItem, Profile, Profile.objects.filter(user_id__in=user_ids).values("pk")
    )
    user_of = dict(Profile.objects.filter(user_id__in=user_ids).values_list("pk", "user_id"))
    return {user_of[profile_id]: names for profile_id, names in by_profile.items()}


def _active_memberships():
    return Membership.objects.filter(
        state=Membership.State.ACTIVE, user__is_active=True
    ).select_related("user__profile__professional_group")


def member_changed(user_id: int) -> None:
    """Re-index a member in every community they are an active member of (and drop the rest)."""
    memberships = list(_active_memberships().filter(user_id=user_id))
    with transaction.atomic():
        _delete(
            SearchEntry.objects.filter(kind=Kind.MEMBER, user_id=user_id).exclude(
                object_id__in=[m.pk for m in memberships]
            )
        )
        _write(_member_entries(memberships, _expertise([user_id]) if memberships else {}))


# --- rebuilding --------------------------------------------------------------------------------


def _batches(ids: list[int], size: int = REBUILD_BATCH):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rebuild_community(community: Community, *, log: Callable[[str], None] | None = None) -> int:
    """Replace *community*'s entries with what its content says now; return how many."""
    log = log or (lambda message: None)
    written = 0
    with transaction.atomic():
        # The match rows first, in one statement; then the entries have none left to cascade to.
        SearchMatch.objects.filter(community=community).delete()
        _delete(SearchEntry.objects.filter(community=community))
        thread_ids = list(
            Thread.objects.filter(community=community, is_hidden=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for number, batch in enumerate(_batches(thread_ids), start=1):
            threads = list(Thread.objects.select_related("opening_post").filter(pk__in=batch))
            entries = _thread_entries(threads, _visible_posts(batch), _thread_tags(batch))
            _write(entries)
            written += len(entries)
            log(
                f"  {community.slug}: threads {min(number * REBUILD_BATCH, len(thread_ids)):,}"
                f"/{len(thread_ids):,} ({written:,} entries)"
            )
        item_ids = list(
            _published_items()
            .filter(community=community)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in _batches(item_ids):
            entries = _item_entries(
                list(_published_items().filter(pk__in=batch)), _item_tags(batch)
            )
            _write(entries)
            written += len(entries)
        membership_ids = list(
            _active_memberships()
            .filter(community=community)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in _batches(membership_ids):
            memberships = list(_active_memberships().filter(pk__in=batch))
            _write(_member_entries(memberships, _expertise([m.user_id for m in memberships])))
            written += len(memberships)
        log(
            f"  {community.slug}: {len(thread_ids):,} threads, {len(item_ids):,} items, "
            f"{len(membership_ids):,} members — {written:,} entries"
        )
    return written


def rebuild(*, communities=None, log: Callable[[str], None] | None = None) -> int:
    """Rebuild the index of *communities* (all by default), one transaction per community."""
    communities = list(communities if communities is not None else Community.objects.order_by("pk"))
    total = 0
    for number, community in enumerate(communities, start=1):
        if log:
            log(f"[{number}/{len(communities)}] {community.name}")
        total += rebuild_community(community, log=log)
    return total
