"""Reads for threads and posts: lists, the thread page, revision history, activity, feeds.

Every read starts from the permission layer (threads_visible_to, thread_posts_visible_to,
readable_posts); nothing here decides who may see what.
"""

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Count,
    QuerySet,
)

from communities import permissions as community_permissions
from communities.models import Profile
from core import rows as model_rows
from practice import permissions
from practice.capabilities import NO_RIGHTS, PostRights, ThreadCapabilities
from practice.models import AdoptionReport, Follow, Post, TaggedThread, Thread, ThreadTag, Vote

User = get_user_model()


def community_tag_names(*, community, limit: int = 200) -> list[str]:
    """Names of the tags used on *community*'s visible threads, most used first."""
    thread_ids = Thread.objects.filter(community=community, is_hidden=False).values("pk")
    return list(
        ThreadTag.objects.filter(
            items__object_id__in=thread_ids,
            items__content_type=ContentType.objects.get_for_model(Thread),
        )
        .annotate(uses=Count("items"))
        .order_by("-uses", "name")
        .values_list("name", flat=True)[:limit]
    )


@dataclass
class PostItem:
    """A post on the thread page with what the viewer may do to it.

    Everything the template would otherwise work out per post (names, CSS classes, whether the
    post needs a form) is decided once here; what the viewer may do comes from the page's
    ``ThreadCapabilities`` (``rights``); ``practice.fragments`` adds the cached HTML (``parts``)
    and the post's age.
    """

    post: Post
    rights: PostRights = NO_RIGHTS
    voted: bool = False
    adoption: AdoptionReport | None = None
    is_accepted: bool = False
    # The post's id as text: a number in a template goes through localisation every time.
    pid: str = ""
    css_class: str = "post"
    verb: str = "replied"
    author_name: str = ""
    author_username: str = ""
    # The stem of the author's picture (communities.avatars), empty for initials.
    author_avatar: str = ""
    reply_to_name: str = ""
    # Is the post it replies to on the same page (a plain #post-N link will do)?
    reply_to_here: bool = True
    parts: tuple = ()
    age: str = ""

    @property
    def has_form(self) -> bool:
        """Does the post have buttons, which share one form (its CSRF token) per post?"""
        rights = self.rights
        return (
            rights.can_vote
            or self.adoption is not None
            or (rights.can_accept and not self.is_accepted)
            or rights.can_unaccept
            or rights.can_restore
        )


def _css_class(post: Post, is_accepted: bool) -> str:
    classes = ["post"]
    if post.is_opening:
        classes.append("post-opening")
    if is_accepted:
        classes.append("post-accepted")
    if post.is_hidden:
        classes.append("post-hidden")
    return " ".join(classes)


@dataclass(frozen=True)
class ThreadPanel:
    """What an app above adds to the thread page. *data* returns its fields for one page (keyword
    arguments user, thread and tag_names), found in the templates as ``page.panels.<name>``;
    *templates* names the template it renders in each slot: moderator_tools, header, answers and
    post_tools (once per post, with the post as ``p``). *post_tools_if* names a field of the
    data without which the page renders no post_tools template (most readers have no per-post
    tool, and a template per post is what the page cannot afford)."""

    name: str
    data: Callable[..., dict]
    templates: dict[str, str]
    post_tools_if: str = ""


# Filled from the apps' ready() (knowledge: provenance, promotion, members likely to answer).
_thread_panels: dict[str, ThreadPanel] = {}


def register_thread_panel(panel: ThreadPanel) -> None:
    _thread_panels[panel.name] = panel


@dataclass
class ThreadPage:
    thread: Thread
    # The page's rows; its posts (``opening``, ``posts``) are made from them when first asked
    # for: an anonymous reader's page usually comes whole from the cache and needs none.
    rows: "PageRows | None" = None
    tags: list = field(default_factory=list)
    is_following: bool = False
    can_follow: bool = False
    can_reply: bool = False
    can_accept: bool = False
    can_moderate: bool = False
    can_flag: bool = False
    # The registered panels' data by panel name, and their templates by slot.
    panels: dict = field(default_factory=dict)
    slots: dict = field(default_factory=dict)
    # Long threads come in pages of POSTS_PER_PAGE answers and replies (the opening post heads
    # every page); *number* is this page's, from 1.
    number: int = 1
    num_pages: int = 1
    capabilities: ThreadCapabilities | None = None
    _items: list | None = field(default=None, repr=False)

    def _post_items(self) -> list[PostItem]:
        if self._items is None:
            posts = self.rows.posts() if self.rows is not None else []
            self._items = _post_items(posts, self.thread, self.capabilities)
        return self._items

    @property
    def opening(self) -> PostItem | None:
        items = self._post_items()
        return items[0] if items and items[0].post.is_opening else None

    @property
    def posts(self) -> list[PostItem]:
        items = self._post_items()
        return items[1:] if items and items[0].post.is_opening else items

    @property
    def has_posts(self) -> bool:
        """Are there answers or replies on this page (without making its posts)?"""
        if self.rows is None or not self.rows.rows:
            return False
        return len(self.rows.rows) > 1 or not self.rows.rows[0][self.rows.column("is_opening")]

    @property
    def opening_items(self) -> list[PostItem]:
        return [self.opening] if self.opening else []

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# Answers and replies per page of a thread: a page costs the same for 50 posts or 5,000. The
# opening post shows on every page; for a question the accepted answer leads page 1.
POSTS_PER_PAGE = 30


def _numbered_sql(thread: Thread, *, include_hidden: bool) -> tuple[str, list]:
    """SQL numbering the posts of *thread* in page order (``position`` from 1, the opening post;
    ``total``: how many), and its parameters.

    The page order: opening post; for questions the accepted answer, then answers by
    helpfulness, then other replies; for discussions and stories by time. Written as SQL rather
    than composed by the ORM: composing this window query cost more CPU than the rest of the
    page. Hidden posts count only for moderators, as ``permissions.thread_posts_visible_to``
    decides (a test keeps the two equal).
    """
    if thread.is_question:
        order = (
            "CASE WHEN is_opening THEN 0 WHEN id = %s THEN 1 WHEN is_answer THEN 2 ELSE 3 END, "
            "CASE WHEN is_answer THEN helpful_count ELSE 0 END DESC, created_at, id"
        )
        params = [thread.accepted_post_id or 0]
    else:
        order, params = "CASE WHEN is_opening THEN 0 ELSE 1 END, created_at, id", []
    hidden = "" if include_hidden else " AND NOT is_hidden"
    sql = (
        f"SELECT id, ROW_NUMBER() OVER (ORDER BY {order}) AS position, COUNT(*) OVER () AS total "
        f"FROM {Post._meta.db_table} WHERE thread_id = %s{hidden}"
    )
    return sql, [*params, thread.pk]


def _page_number(value, num_pages: int) -> int:
    """The page asked for, as a real page: junk is page 1, past the end is the last page."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), num_pages)


def _page_sql(numbered: str) -> str:
    """One page of posts from *numbered*, with their authors' and quoted authors' names and the
    reader's vote and "worked for me" report on each (parameters: *numbered*'s, the reader's
    id twice, the first and last position of the page)."""
    post, user = Post._meta.db_table, User._meta.db_table
    profile = Profile._meta.db_table
    vote, report = Vote._meta.db_table, AdoptionReport._meta.db_table
    # Not the Markdown source (for editing and quoting) nor the submission key: the page shows
    # the stored HTML.
    skip = ("body", "submission_key")
    columns = ", ".join(f"p.{f.column}" for f in Post._meta.concrete_fields if f.name not in skip)
    return (
        f"WITH numbered AS ({numbered}) "
        f"SELECT {columns}, n.position AS position, n.total AS total, "
        "u.username AS author_username, pr.display_name AS author_display_name, "
        "pr.avatar AS author_avatar, "
        "ru.username AS reply_to_username, rpr.display_name AS reply_to_display_name, "
        f"EXISTS (SELECT 1 FROM {vote} v WHERE v.post_id = p.id AND v.voter_id = %s) AS voted, "
        "r.id AS report_id, r.worked AS report_worked, r.note AS report_note "
        f"FROM numbered n JOIN {post} p ON p.id = n.id "
        f"JOIN {user} u ON u.id = p.author_id "
        f"LEFT JOIN {profile} pr ON pr.user_id = p.author_id "
        f"LEFT JOIN {post} rp ON rp.id = p.reply_to_id "
        f"LEFT JOIN {user} ru ON ru.id = rp.author_id "
        f"LEFT JOIN {profile} rpr ON rpr.user_id = rp.author_id "
        f"LEFT JOIN {report} r ON r.post_id = p.id AND r.member_id = %s "
        "WHERE n.position = 1 OR n.position BETWEEN %s AND %s ORDER BY n.position"
    )


class PageRows:
    """The rows of one page of a thread as the page query returned them (database values after
    the backend's converters, in page order, the opening post first), and that page's number
    and the number of pages. ``posts()`` makes the ``Post`` instances: a reader whose whole post
    list comes from the cache (``practice.fragments.posts_html``) never needs them."""

    def __init__(self, columns: list[str], rows: list[tuple], number: int, num_pages: int):
        self.columns = columns
        self.rows = rows
        self.number = number
        self.num_pages = num_pages
        self._posts = None

    def column(self, name: str) -> int:
        return self.columns.index(name)

    def posts(self) -> list[Post]:
        """The rows as posts, made as ``Post.objects.raw`` makes them (once): the model's
        columns as fields, the others as attributes."""
        if self._posts is None:
            self._posts = model_rows.instances(Post, self.columns, self.rows)
        return self._posts


def _fetch_rows(sql: str, params: list) -> tuple[list[str], list[tuple]]:
    """The columns and rows of the page query, converted as ``Post.objects.raw`` converts them
    (SQLite's dates and booleans) but without a ``RawQuerySet``: composing one, and making the
    ``Post`` instances, cost more than the rest of an anonymous reader's post list."""
    return model_rows.fetch(Post, sql, params)


def _page_rows(thread: Thread, number: int, *, include_hidden: bool, reader_id=None) -> PageRows:
    """The rows of page *number* in page order (the opening post first): one query (two for a
    page past the end). Each row carries ``voted`` and ``report_*`` for the reader *reader_id*
    (None: nobody's)."""
    numbered, params = _numbered_sql(thread, include_hidden=include_hidden)
    sql = _page_sql(numbered)

    def fetch(number: int):
        first = 2 + (number - 1) * POSTS_PER_PAGE
        return _fetch_rows(sql, [*params, reader_id, reader_id, first, first + POSTS_PER_PAGE - 1])

    columns, rows = fetch(number)
    total = rows[0][columns.index("total")] if rows else 0
    num_pages = max(1, -(-(total - 1) // POSTS_PER_PAGE))
    if number > num_pages:  # a page past the end (an old link, a hand-typed address)
        number = num_pages
        columns, rows = fetch(number)
    return PageRows(columns, rows, number, num_pages)


def _page_posts(thread: Thread, number: int, *, include_hidden: bool, reader_id=None):
    """The posts of page *number* in page order (the opening post first), that page's number
    and the number of pages (``_page_rows`` as posts)."""
    rows = _page_rows(thread, number, include_hidden=include_hidden, reader_id=reader_id)
    return rows.posts(), rows.number, rows.num_pages


def post_page_number(*, user, post: Post) -> int:
    """The page of its thread on which *user* finds *post* (1 when they cannot see it)."""
    thread = post.thread
    include_hidden = community_permissions.can_moderate(user, thread.community)
    numbered, params = _numbered_sql(thread, include_hidden=include_hidden)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH numbered AS ({numbered}) SELECT position FROM numbered WHERE id = %s",
            [*params, post.pk],
        )
        row = cursor.fetchone()
    if not row or row[0] == 1:
        return 1
    return (row[0] - 2) // POSTS_PER_PAGE + 1


def post_page_url(*, user, post: Post) -> str:
    """The address of *post* on its thread's page for *user*: the page, then the anchor."""
    number = post_page_number(user=user, post=post)
    query = f"?page={number}" if number > 1 else ""
    return f"{post.thread.get_absolute_url()}{query}#post-{post.pk}"


def thread_tags(thread: Thread) -> list[ThreadTag]:
    """The tags of *thread* in the order they were given (as the thread list shows them).

    Written as SQL: taggit's manager composed a DISTINCT join through the content types that
    cost more CPU than the page's posts query; read by a plain cursor."""
    tag, tagged = ThreadTag._meta.db_table, TaggedThread._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, t.name, t.slug FROM {tag} t JOIN {tagged} i ON i.tag_id = t.id "  # noqa: S608
            "WHERE i.object_id = %s AND i.content_type_id = %s ORDER BY i.id",
            [thread.pk, ContentType.objects.get_for_model(Thread).pk],
        )
        rows = cursor.fetchall()
    # As raw() would make them, without composing a RawQuerySet for three columns.
    return [ThreadTag.from_db(connection.alias, ["id", "name", "slug"], row) for row in rows]


def author_names(thread: Thread) -> tuple[str, str]:
    """The username and display name of *thread*'s author (one plain query)."""
    user, profile = get_user_model()._meta.db_table, Profile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.username, COALESCE(p.display_name, '') FROM {user} u "  # noqa: S608
            f"LEFT JOIN {profile} p ON p.user_id = u.id WHERE u.id = %s",
            [thread.author_id],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else ("", "")


def _post_items(posts: list[Post], thread: Thread, capabilities) -> list[PostItem]:
    """The page's posts with what the reader may do to each, and what their fragments show."""
    community = thread.community
    on_page = {p.pk for p in posts}
    accepted_id = thread.accepted_post_id
    items = []
    for post in posts:
        post.thread = thread  # already known: spares a query wherever a post needs its thread
        post.community = community
        is_accepted = post.pk == accepted_id
        items.append(
            PostItem(
                post=post,
                rights=capabilities.post_rights(post),
                voted=bool(post.voted),
                adoption=AdoptionReport(
                    pk=post.report_id,
                    post_id=post.pk,
                    member_id=capabilities.user_id,
                    worked=bool(post.report_worked),
                    note=post.report_note or "",
                )
                if post.report_id is not None
                else None,
                is_accepted=is_accepted,
                pid=str(post.pk),
                css_class=_css_class(post, is_accepted),
                verb="asked" if post.is_opening else "answered" if post.is_answer else "replied",
                # communities.models.display_name, from the names the page query read
                author_name=post.author_display_name or post.author_username,
                author_username=post.author_username,
                author_avatar=post.author_avatar or "",
                reply_to_name=(post.reply_to_display_name or post.reply_to_username or "")
                if post.reply_to_id
                else "",
                reply_to_here=post.reply_to_id in on_page,
            )
        )
    return items


def thread_page(*, user, thread: Thread, page=None) -> ThreadPage:
    """One page of the thread page, in a number of queries that does not grow with posts."""
    capabilities = ThreadCapabilities.for_thread(user=user, thread=thread)
    rows = _page_rows(
        thread,
        _page_number(page, 10**9),
        include_hidden=capabilities.can_moderate,
        reader_id=capabilities.user_id,
    )
    is_following = (
        user.is_authenticated
        and Follow.objects.filter(user=user, target=Follow.Target.THREAD, thread=thread).exists()
    )
    tags = thread_tags(thread)
    tag_names = [t.name for t in tags]
    panels, slots = {}, {}
    for panel in _thread_panels.values():
        data = panels[panel.name] = panel.data(user=user, thread=thread, tag_names=tag_names)
        for slot, template in panel.templates.items():
            if slot == "post_tools" and panel.post_tools_if and not data.get(panel.post_tools_if):
                continue
            slots.setdefault(slot, []).append(template)
    return ThreadPage(
        thread=thread,
        rows=rows,
        tags=tags,
        is_following=is_following,
        can_follow=capabilities.can_follow,
        can_reply=capabilities.can_reply,
        can_accept=capabilities.can_accept,
        can_moderate=capabilities.can_moderate,
        can_flag=capabilities.can_flag,
        panels=panels,
        slots=slots,
        number=rows.number,
        num_pages=rows.num_pages,
        capabilities=capabilities,
    )


def thread_post(*, user, thread: Thread, post_id: int) -> Post | None:
    """A post of *thread* that *user* may see (for quoting one that is on another page)."""
    return (
        permissions.thread_posts_visible_to(user, thread)
        .select_related("author__profile")
        .filter(pk=post_id)
        .first()
    )


@dataclass
class DiffLine:
    kind: str  # "add", "del", "context" or "hunk"
    text: str


@dataclass
class Revision:
    """One version of a post: who wrote it, when, and what changed from the one before."""

    number: int
    editor: object
    at: object
    title: str
    body: str
    title_changed: bool = False
    previous_title: str = ""
    diff: list[DiffLine] = field(default_factory=list)
    is_current: bool = False


def _diff(before: str, after: str) -> list[DiffLine]:
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", "…"))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return lines


def post_history(*, post: Post) -> list[Revision]:
    """The versions of *post*, newest first, each with its diff against the previous one.

    A PostRevision keeps the text as it was *before* an edit, with the editor and time of that
    edit; so version n was written by the editor of revision n-1 (the author for version 1).
    """
    revisions = list(post.revisions.select_related("editor__profile").order_by("number"))
    thread = post.thread
    texts = [(r.title, r.body) for r in revisions] + [
        (thread.title if post.is_opening else "", post.body)
    ]
    authors = [(post.author, post.created_at)] + [(r.editor, r.created_at) for r in revisions]
    versions = []
    for index, ((title, body), (editor, at)) in enumerate(zip(texts, authors, strict=True)):
        version = Revision(number=index + 1, editor=editor, at=at, title=title, body=body)
        if index:
            previous_title, previous_body = texts[index - 1]
            version.diff = _diff(previous_body, body)
            if post.is_opening and previous_title and previous_title != title:
                version.title_changed, version.previous_title = True, previous_title
        versions.append(version)
    versions[-1].is_current = True
    return list(reversed(versions))


def member_activity(*, viewer, member, show: str = "all") -> QuerySet[Post]:
    """*member*'s posts (and threads they started) that *viewer* may read, newest first."""
    qs = permissions.readable_posts(viewer).filter(author=member)
    if show == "threads":
        qs = qs.filter(is_opening=True)
    elif show == "posts":
        qs = qs.filter(is_opening=False)
    return qs.select_related("thread__community").order_by("-created_at", "-pk")


def activity_member(*, username: str):
    return User.objects.filter(username=username, is_active=True).select_related("profile").first()


def feed_threads(*, community, tag: str = "", limit: int = 30) -> list[Thread]:
    """Latest threads of *community* for its public Atom feed (callers check it is public)."""
    qs = permissions.threads_visible_to(AnonymousUser(), community)
    if tag:
        qs = qs.filter(tags__name=tag)
    return list(
        qs.select_related("author__profile", "opening_post")
        .prefetch_related("tags")
        .order_by("-created_at", "-pk")[:limit]
    )
