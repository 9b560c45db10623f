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
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Value,
    When,
)

from communities import permissions as community_permissions
from communities.models import display_name
from practice import permissions
from practice.models import AdoptionReport, Follow, Post, Thread, ThreadTag, Vote

User = get_user_model()

SORTS = {
    "activity": ("-last_activity_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "helpful": ("-helpful_count", "-last_activity_at", "-pk"),
}


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
    """Threads of *community* that *user* may list, filtered and sorted for the list page."""
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
    return (
        qs.select_related("author__profile")
        # A plain list per thread: the tag manager's .all() builds a queryset per row.
        .prefetch_related(Prefetch("tags", to_attr="tag_list"))
        .order_by(*SORTS.get(sort, SORTS["activity"]))
    )


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

    Everything the template would otherwise work out per post (permissions, CSS classes,
    names, whether the post needs a form) is decided once here: the page renders 50+ posts.
    """

    post: Post
    voted: bool = False
    adoption: AdoptionReport | None = None
    is_accepted: bool = False
    can_vote: bool = False
    can_edit: bool = False
    can_hide: bool = False
    can_restore: bool = False
    can_accept: bool = False
    can_unaccept: bool = False
    can_report: bool = False
    can_quote: bool = False
    can_flag: bool = False
    # The post's id as text: a number in a template goes through localisation every time.
    pid: str = ""
    css_class: str = "post"
    verb: str = "replied"
    author_name: str = ""
    reply_to_name: str = ""

    @property
    def has_form(self) -> bool:
        """Does the post have buttons, which share one form (its CSRF token) per post?"""
        return (
            self.can_vote
            or self.adoption is not None
            or (self.can_accept and not self.is_accepted)
            or self.can_unaccept
            or self.can_restore
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
    post_tools (once per post, with the post as ``p``)."""

    name: str
    data: Callable[..., dict]
    templates: dict[str, str]


# Filled from the apps' ready() (knowledge: provenance, promotion, members likely to answer).
_thread_panels: dict[str, ThreadPanel] = {}


def register_thread_panel(panel: ThreadPanel) -> None:
    _thread_panels[panel.name] = panel


@dataclass
class ThreadPage:
    thread: Thread
    opening: PostItem | None
    posts: list[PostItem] = field(default_factory=list)
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

    @property
    def opening_items(self) -> list[PostItem]:
        return [self.opening] if self.opening else []


def _thread_posts(user, thread: Thread) -> QuerySet[Post]:
    """The thread's posts in page order: opening post; for questions the accepted answer, then
    answers by helpfulness, then other replies; for discussions and stories by time."""
    rank = Case(
        When(is_opening=True, then=Value(0)),
        When(pk=thread.accepted_post_id or 0, then=Value(1)),
        When(is_answer=True, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    answer_score = Case(
        When(is_answer=True, then=F("helpful_count")), default=Value(0), output_field=IntegerField()
    )
    qs = permissions.thread_posts_visible_to(user, thread).select_related(
        "author__profile", "reply_to__author__profile"
    )
    if thread.is_question:
        return qs.annotate(rank=rank, answer_score=answer_score).order_by(
            "rank", "-answer_score", "created_at", "pk"
        )
    return qs.order_by("-is_opening", "created_at", "pk")


def thread_page(*, user, thread: Thread) -> ThreadPage:
    """Everything the thread page shows, in a number of queries that does not grow with posts."""
    community = thread.community
    posts = list(_thread_posts(user, thread))
    for post in posts:  # already known: saves one query per post in the permission checks
        post.thread = thread
        post.community = community
    post_ids = [p.pk for p in posts]
    voted, reports, is_following = set(), {}, False
    if user.is_authenticated and post_ids:
        voted = set(
            Vote.objects.filter(voter=user, post_id__in=post_ids).values_list("post_id", flat=True)
        )
        reports = {
            r.post_id: r for r in AdoptionReport.objects.filter(member=user, post_id__in=post_ids)
        }
        is_following = Follow.objects.filter(
            user=user, target=Follow.Target.THREAD, thread=thread
        ).exists()
    can_accept = permissions.can_accept(user, thread) if user.is_authenticated else False
    can_reply = user.is_authenticated and permissions.can_reply(user, thread)
    can_flag = permissions.can_flag(user, community)
    can_restore = permissions.can_restore(user, community)
    items = []
    for post in posts:
        is_endorsable = not post.is_opening
        is_accepted = post.pk == thread.accepted_post_id
        can_vote = user.is_authenticated and permissions.can_vote(user, post)
        items.append(
            PostItem(
                post=post,
                voted=post.pk in voted,
                adoption=reports.get(post.pk),
                is_accepted=is_accepted,
                can_vote=can_vote,
                can_edit=user.is_authenticated and permissions.can_edit_post(user, post),
                can_hide=user.is_authenticated and permissions.can_hide_post(user, post),
                can_restore=post.is_hidden and can_restore,
                can_accept=can_accept and post.is_answer and not post.is_hidden,
                can_unaccept=is_accepted and can_accept,
                can_report=is_endorsable
                and user.is_authenticated
                and permissions.can_report_adoption(user, post),
                can_quote=can_reply and not post.is_hidden,
                can_flag=can_flag and is_endorsable and not post.is_hidden,
                pid=str(post.pk),
                css_class=_css_class(post, is_accepted),
                verb="asked" if post.is_opening else "answered" if post.is_answer else "replied",
                author_name=display_name(post.author),
                reply_to_name=display_name(post.reply_to.author) if post.reply_to_id else "",
            )
        )
    opening = items.pop(0) if items and items[0].post.is_opening else None
    tags = list(thread.tags.all())
    tag_names = [t.name for t in tags]
    panels, slots = {}, {}
    for panel in _thread_panels.values():
        panels[panel.name] = panel.data(user=user, thread=thread, tag_names=tag_names)
        for slot, template in panel.templates.items():
            slots.setdefault(slot, []).append(template)
    return ThreadPage(
        thread=thread,
        opening=opening,
        posts=items,
        tags=tags,
        is_following=is_following,
        can_follow=permissions.can_follow_thread(user, thread),
        can_reply=can_reply,
        can_accept=can_accept,
        can_moderate=community_permissions.can_moderate(user, community),
        can_flag=can_flag,
        panels=panels,
        slots=slots,
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
