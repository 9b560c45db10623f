"""Reads for the thread list: a community's threads that a viewer may list, filtered and sorted,
and a page of them loaded as plain rows (``practice.list_rows`` renders and caches them).

Which threads a viewer gets is decided here, by the permission layer (``threads_visible_to``),
on every request; only the HTML of a row is ever cached, never a list.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from practice import permissions
from practice.models import Follow, TaggedThread, Thread, ThreadTag
from practice.selectors.threads import community_tag_names

SORTS = {
    "activity": ("-last_activity_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "helpful": ("-helpful_count", "-last_activity_at", "-pk"),
}

# The columns a row shows, read as values: a page of the list builds no model instances (a
# thread, its author and the author's profile per row).
ROW_COLUMNS = (
    "pk",
    "kind",
    "title",
    "accepted_post_id",
    "is_locked",
    "is_hidden",
    "answer_count",
    "reply_count",
    "helpful_count",
    "last_activity_at",
    "author__username",
    "author__profile__display_name",
)

_KIND_LABELS = dict(Thread.Kind.choices)


def thread_list(
    *,
    user,
    community,
    kind: str = "",
    tag: str = "",
    unanswered: bool = False,
    solved: bool = False,
    mine: bool = False,
    following: bool = False,
    sort: str = "activity",
) -> QuerySet[Thread]:
    """Threads of *community* that *user* may list, filtered and sorted for the list page (count
    and slice it, then load the slice with ``thread_list_rows``)."""
    qs = permissions.threads_visible_to(user, community)
    if kind in Thread.Kind.values:
        qs = qs.filter(kind=kind)
    if tag:
        qs = qs.filter(tags__name=tag)
    if unanswered:
        qs = qs.filter(kind=Thread.Kind.QUESTION, answer_count=0)
    if solved:
        qs = qs.filter(accepted_post__isnull=False)
    if mine:
        qs = qs.filter(author=user) if user.is_authenticated else qs.none()
    if following:
        if user.is_authenticated:
            follows = Follow.objects.filter(
                user=user, target=Follow.Target.THREAD, thread=OuterRef("pk")
            )
            qs = qs.filter(Exists(follows))
        else:
            qs = qs.none()
    return qs.order_by(*SORTS.get(sort, SORTS["activity"]))


def thread_list_rows(threads: QuerySet[Thread]) -> list[dict]:
    """The rows of *threads* (a page of ``thread_list``): what each row shows, in two queries
    (the rows with their authors' names, then their tags).

    Each row has exactly the keys ``practice/threads/_thread_row.html`` reads.
    """
    values = list(threads.values(*ROW_COLUMNS))
    tags: dict[int, list[str]] = {}
    if values:
        ids = [v["pk"] for v in values]
        # In the order they were given, as on the thread page. A plain query: composing it in
        # the ORM cost more CPU than reading the rows (bench/thread_pages.py).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT i.object_id, t.name FROM {TaggedThread._meta.db_table} i "
                f"JOIN {ThreadTag._meta.db_table} t ON t.id = i.tag_id "
                f"WHERE i.content_type_id = %s AND i.object_id IN ({', '.join(['%s'] * len(ids))}) "
                "ORDER BY i.id",
                [ContentType.objects.get_for_model(Thread).pk, *ids],
            )
            for thread_id, name in cursor.fetchall():
                tags.setdefault(thread_id, []).append(name)
    return [
        {
            "pk": v["pk"],
            "kind": v["kind"],
            "kind_label": _KIND_LABELS.get(v["kind"], v["kind"]),
            "title": v["title"],
            "is_solved": v["accepted_post_id"] is not None,
            "is_locked": v["is_locked"],
            "is_hidden": v["is_hidden"],
            "answer_count": v["answer_count"],
            "reply_count": v["reply_count"],
            "helpful_count": v["helpful_count"],
            "last_activity_at": v["last_activity_at"],
            "tag_names": tuple(tags.get(v["pk"], ())),
            "author_username": v["author__username"],
            # communities.models.display_name: the profile's display name, else the username.
            "author_name": v["author__profile__display_name"] or v["author__username"],
        }
        for v in values
    ]


POPULAR_TAGS = 12  # the thread list's tag chips and suggestions
POPULAR_TAGS_SECONDS = 300  # suggestions may lag behind new tags by this much


def popular_tag_names(*, community) -> list[str]:
    """The community's most used tags, for the thread list's filter (cached a few minutes: the
    count reads every tagged thread of the community)."""
    return cache.get_or_set(
        f"practice:popular-tags:{community.pk}",
        lambda: community_tag_names(community=community, limit=POPULAR_TAGS),
        POPULAR_TAGS_SECONDS,
    )
