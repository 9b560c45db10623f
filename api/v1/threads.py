"""Threads and posts: the list (the web list's filters and sorts), one thread with its first
posts, the rest of its posts, and the writes a member makes on the thread page.

Every read starts from ``practice.permissions`` (``access_thread``, ``access_post``,
``threads_visible_to`` through ``practice.selectors``); every write is one call to a
``practice.services`` function, whose ``require_*`` checks answer 403.
"""

from typing import Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Header, Query, Router, Status

from api import permissions as api_permissions
from api.v1 import schemas
from api.v1.common import (
    ERRORS,
    MODERATE,
    READ,
    WRITE,
    Limit,
    ObjectId,
    Slug,
    Text,
    caller_for,
    etagged,
)
from api.v1.pagination import DEFAULT_LIMIT, keyset_page
from communities import permissions as community_permissions
from practice import permissions
from practice.models import Thread
from practice.selectors import thread_list as thread_list_selectors
from practice.selectors import threads as thread_selectors
from practice.services import endorsements, follows
from practice.services import threads as thread_services

router = Router(tags=["threads"])

POST_ORDER = ("created_at", "pk")
POSTS_IN_DETAIL = 50
POST_COLUMNS = (
    "pk",
    "author__username",
    "author__profile__display_name",
    "is_opening",
    "is_answer",
    "is_hidden",
    "reply_to_id",
    "body",
    "body_html",
    "created_at",
    "edited_at",
    "helpful_count",
)


def _person(username: str, display_name: str | None) -> dict:
    return {"username": username, "name": display_name or username}


def _thread_url(slug: str, pk: int) -> str:
    return reverse("practice:thread", args=[slug, pk])


@router.get(
    "/communities/{slug}/threads",
    response={200: schemas.ThreadPage, **ERRORS},
    summary="A community's threads",
    description=(
        "The thread list's filters and sorts. A community whose content the caller may not "
        "read is a 404, as on the web; hidden threads are listed for moderators only."
    ),
)
def thread_list(
    request: HttpRequest,
    slug: str = Slug,
    kind: Literal["question", "discussion", "story"] | None = None,
    tag: Text = Query("", max_length=50),
    unanswered: bool = False,
    solved: bool = False,
    mine: bool = False,
    following: bool = False,
    sort: Literal["activity", "newest", "helpful"] = "activity",
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    qs = thread_list_selectors.thread_list(
        user=caller.user,
        community=community,
        kind=kind or "",
        tag=tag,
        unanswered=unanswered,
        solved=solved,
        mine=mine,
        following=following,
        sort=sort,
    )
    order = thread_list_selectors.SORTS[sort]
    after, finish = keyset_page(qs, kind=f"threads:{sort}", order=order, cursor=cursor, limit=limit)
    # The page's ids with the sort's columns (for the cursor), then its rows as the web list
    # loads them (a query for the rows, one for their tags).
    columns = [term.lstrip("-") for term in order]
    keys = {row["pk"]: row for row in after.values(*columns)[: limit + 1]}
    rows = thread_list_selectors.thread_list_rows(after.filter(pk__in=list(keys)))
    rows, next_cursor = finish(
        rows, key=lambda row: [keys[row["pk"]][term.lstrip("-")] for term in order]
    )
    items = [
        {
            "id": row["pk"],
            "kind": row["kind"],
            "title": row["title"],
            "author": {"username": row["author_username"], "name": row["author_name"]},
            "tags": list(row["tag_names"]),
            "is_solved": row["is_solved"],
            "is_locked": row["is_locked"],
            "is_hidden": row["is_hidden"],
            "answer_count": row["answer_count"],
            "reply_count": row["reply_count"],
            "helpful_count": row["helpful_count"],
            "last_activity_at": row["last_activity_at"],
            "url": _thread_url(community.slug, row["pk"]),
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def _posts_page(user, thread, *, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    qs = permissions.thread_posts_visible_to(user, thread)
    after, finish = keyset_page(qs, kind="posts", order=POST_ORDER, cursor=cursor, limit=limit)
    rows, next_cursor = finish(list(after.values(*POST_COLUMNS)[: limit + 1]))
    return [
        {
            "id": row["pk"],
            "author": _person(row["author__username"], row["author__profile__display_name"]),
            "is_opening": row["is_opening"],
            "is_answer": row["is_answer"],
            "is_accepted": row["pk"] == thread.accepted_post_id,
            "is_hidden": row["is_hidden"],
            "reply_to": row["reply_to_id"],
            "body": row["body"],
            "body_html": row["body_html"],
            "created_at": row["created_at"],
            "edited_at": row["edited_at"],
            "helpful_count": row["helpful_count"],
        }
        for row in rows
    ], next_cursor


def _post_out(user, post) -> dict:
    """*post* as the caller now sees it (one query)."""
    row = (
        permissions.thread_posts_visible_to(user, post.thread)
        .filter(pk=post.pk)
        .values(*POST_COLUMNS, "thread__accepted_post_id")
        .first()
    )
    if row is None:  # hidden meanwhile by someone else: as for any post one cannot see
        raise Http404("No such post.")
    return {
        "id": row["pk"],
        "author": _person(row["author__username"], row["author__profile__display_name"]),
        "is_opening": row["is_opening"],
        "is_answer": row["is_answer"],
        "is_accepted": row["pk"] == row["thread__accepted_post_id"],
        "is_hidden": row["is_hidden"],
        "reply_to": row["reply_to_id"],
        "body": row["body"],
        "body_html": row["body_html"],
        "created_at": row["created_at"],
        "edited_at": row["edited_at"],
        "helpful_count": row["helpful_count"],
    }


def _require_own_or_moderate(caller, post) -> None:
    """Acting on one's own post needs ``write``; on someone else's (a moderator's edit, hide or
    restore) also ``moderate``, so a member's everyday token cannot moderate."""
    api_permissions.require_scope(caller=caller, scope=WRITE)
    if post.author_id != caller.user.pk:
        api_permissions.require_scope(caller=caller, scope=MODERATE)


def _thread_author(thread) -> dict:
    """The thread's author as a person: from the loaded relation, else one plain query (the
    detail reads the thread alone: composing its joins cost more than the call's posts)."""
    if Thread.author.is_cached(thread):
        author = thread.author
        profile = getattr(author, "profile", None)
        return _person(author.username, profile.display_name if profile else "")
    return _person(*thread_selectors.author_names(thread))


def thread_detail_data(user, thread) -> dict:
    posts, posts_next = _posts_page(user, thread, cursor=None, limit=POSTS_IN_DETAIL)
    return {
        "id": thread.pk,
        "community": thread.community.slug,
        "kind": thread.kind,
        "title": thread.title,
        "author": _thread_author(thread),
        "tags": [tag.name for tag in thread_selectors.thread_tags(thread)],
        "status": thread.status,
        "is_locked": thread.is_locked,
        "is_hidden": thread.is_hidden,
        "accepted_post": thread.accepted_post_id,
        "answer_count": thread.answer_count,
        "reply_count": thread.reply_count,
        "helpful_count": thread.helpful_count,
        "created_at": thread.created_at,
        "last_activity_at": thread.last_activity_at,
        "url": _thread_url(thread.community.slug, thread.pk),
        "posts": posts,
        "posts_next_cursor": posts_next,
    }


@router.get(
    "/communities/{slug}/threads/{thread_id}",
    response={200: schemas.ThreadDetail, 304: None, **ERRORS},
    summary="One thread with its first posts",
    description=(
        f"The thread and its first {POSTS_IN_DETAIL} posts, oldest first (hidden ones for "
        "moderators only). Sends an ETag; If-None-Match answers 304."
    ),
)
def thread_detail(request: HttpRequest, slug: str = Slug, thread_id: int = ObjectId):
    caller = caller_for(request, READ)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id, related=())
    return etagged(request, thread_detail_data(caller.user, thread))


@router.get(
    "/communities/{slug}/threads/{thread_id}/posts",
    response={200: schemas.PostPage, **ERRORS},
    summary="A thread's posts, oldest first",
)
def thread_posts(
    request: HttpRequest,
    slug: str = Slug,
    thread_id: int = ObjectId,
    cursor: Text | None = Query(None, max_length=500),
    limit: Limit = Query(DEFAULT_LIMIT),
):
    caller = caller_for(request, READ)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    items, next_cursor = _posts_page(caller.user, thread, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    max_length=40,
    description="Send the same key again (a retry) and the first result is returned, "
    "nothing written twice.",
)


@router.post(
    "/communities/{slug}/threads",
    response={201: schemas.ThreadDetail, **ERRORS},
    summary="Start a thread",
)
def thread_create(
    request: HttpRequest,
    payload: schemas.ThreadIn,
    slug: str = Slug,
    idempotency_key: Text | None = IdempotencyKey,
):
    caller = caller_for(request, WRITE)
    community = community_permissions.access_community_content(user=caller.user, slug=slug)
    thread = thread_services.thread_create(
        community=community,
        author=caller.user,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
        submission_key=idempotency_key or "",
    )
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread.pk)
    return Status(201, thread_detail_data(caller.user, thread))


@router.post(
    "/communities/{slug}/threads/{thread_id}/posts",
    response={201: schemas.PostOut, **ERRORS},
    summary="Answer a question, or reply in a thread",
    description="Without reply_to, a post in a question is an answer; with it, a reply.",
)
def post_create(
    request: HttpRequest,
    payload: schemas.PostIn,
    slug: str = Slug,
    thread_id: int = ObjectId,
    idempotency_key: Text | None = IdempotencyKey,
):
    caller = caller_for(request, WRITE)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    reply_to = None
    if payload.reply_to is not None:
        reply_to = thread_selectors.thread_post(
            user=caller.user, thread=thread, post_id=payload.reply_to
        )
        if reply_to is None:
            raise thread_services.ValidationError({"reply_to": "No such post in this thread."})
    post = thread_services.post_create(
        thread=thread,
        author=caller.user,
        body=payload.body,
        reply_to=reply_to,
        submission_key=idempotency_key or "",
    )
    return Status(201, _post_out(caller.user, post))


@router.put(
    "/communities/{slug}/posts/{post_id}/vote",
    response={200: schemas.VoteOut, **ERRORS},
    summary="Mark a post helpful, or take the vote back",
    description="Idempotent: the vote ends as `helpful` says, however often it is sent.",
)
def post_vote(
    request: HttpRequest,
    payload: schemas.VoteIn,
    slug: str = Slug,
    post_id: int = ObjectId,
):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    voted = endorsements.vote_set(post=post, voter=caller.user, helpful=payload.helpful)
    post.refresh_from_db(fields=["helpful_count"])
    return {"voted": voted, "helpful_count": post.helpful_count}


@router.post(
    "/communities/{slug}/posts/{post_id}/accept",
    response={200: schemas.ThreadDetail, **ERRORS},
    summary="Accept an answer",
    description="For the person who asked, or a moderator. Accepting again is harmless.",
)
def answer_accept(request: HttpRequest, slug: str = Slug, post_id: int = ObjectId):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    endorsements.answer_accept(answer=post, by=caller.user)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=post.thread_id)
    return thread_detail_data(caller.user, thread)


@router.delete(
    "/communities/{slug}/threads/{thread_id}/accepted",
    response={200: schemas.ThreadDetail, **ERRORS},
    summary="Take back the accepted answer",
)
def answer_unaccept(request: HttpRequest, slug: str = Slug, thread_id: int = ObjectId):
    caller = caller_for(request, WRITE)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    endorsements.answer_unaccept(thread=thread, by=caller.user)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    return thread_detail_data(caller.user, thread)


@router.patch(
    "/communities/{slug}/posts/{post_id}",
    response={200: schemas.PostOut, **ERRORS},
    summary="Edit a post",
    description=(
        "The author edits while the thread is open; a moderator edits any post (with the "
        "`moderate` scope). The previous text is kept as a revision. For the opening post, "
        "`title` and `tags` change the thread."
    ),
)
def post_edit(
    request: HttpRequest,
    payload: schemas.PostEditIn,
    slug: str = Slug,
    post_id: int = ObjectId,
):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    _require_own_or_moderate(caller, post)
    post = thread_services.post_edit(
        post=post, by=caller.user, body=payload.body, title=payload.title, tags=payload.tags
    )
    return _post_out(caller.user, post)


@router.post(
    "/communities/{slug}/posts/{post_id}/hide",
    response={200: schemas.HiddenOut, **ERRORS},
    summary="Hide a post (deleting is hiding)",
    description=(
        "The author hides their own post; a moderator hides any (with the `moderate` scope). "
        "Hiding the opening post hides the thread. An author who does not moderate no longer "
        "sees the post: reads of it answer 404 from then on."
    ),
)
def post_hide(
    request: HttpRequest,
    payload: schemas.ReasonIn,
    slug: str = Slug,
    post_id: int = ObjectId,
):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    _require_own_or_moderate(caller, post)
    post = thread_services.post_hide(post=post, by=caller.user, reason=payload.reason)
    return {"id": post.pk, "is_hidden": post.is_hidden}


@router.post(
    "/communities/{slug}/posts/{post_id}/restore",
    response={200: schemas.PostOut, **ERRORS},
    summary="Restore a hidden post (moderators, `moderate` scope)",
)
def post_restore(
    request: HttpRequest,
    payload: schemas.ReasonIn,
    slug: str = Slug,
    post_id: int = ObjectId,
):
    caller = caller_for(request, MODERATE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    post = thread_services.post_restore(post=post, by=caller.user, reason=payload.reason)
    return _post_out(caller.user, post)


def _worked_out(post, report) -> dict:
    post.refresh_from_db(fields=["worked_count", "did_not_work_count"])
    return {
        "worked": report.worked if report is not None else None,
        "worked_count": post.worked_count,
        "did_not_work_count": post.did_not_work_count,
    }


@router.put(
    "/communities/{slug}/posts/{post_id}/worked",
    response={200: schemas.WorkedOut, **ERRORS},
    summary="Report whether an answer worked in your practice",
    description="One report per member and post; sending it again changes it.",
)
def post_worked(
    request: HttpRequest,
    payload: schemas.WorkedIn,
    slug: str = Slug,
    post_id: int = ObjectId,
):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    permissions.require_adoption_target(post=post)
    report = endorsements.adoption_report(
        post=post, member=caller.user, worked=payload.worked, note=payload.note
    )
    return _worked_out(post, report)


@router.delete(
    "/communities/{slug}/posts/{post_id}/worked",
    response={200: schemas.WorkedOut, **ERRORS},
    summary="Take back your report",
)
def post_worked_withdraw(request: HttpRequest, slug: str = Slug, post_id: int = ObjectId):
    caller = caller_for(request, WRITE)
    post = permissions.access_post(user=caller.user, slug=slug, post_id=post_id)
    permissions.require_adoption_target(post=post)
    endorsements.adoption_withdraw(post=post, member=caller.user)
    return _worked_out(post, None)


@router.put(
    "/communities/{slug}/threads/{thread_id}/follow",
    response={200: schemas.FollowOut, **ERRORS},
    summary="Follow a thread (notifications of new posts)",
)
def thread_follow(request: HttpRequest, slug: str = Slug, thread_id: int = ObjectId):
    caller = caller_for(request, WRITE)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    permissions.require_can_follow_thread(user=caller.user, thread=thread)
    follows.thread_follow(user=caller.user, thread=thread)
    return {"following": True}


@router.delete(
    "/communities/{slug}/threads/{thread_id}/follow",
    response={200: schemas.FollowOut, **ERRORS},
    summary="Stop following a thread",
)
def thread_unfollow(request: HttpRequest, slug: str = Slug, thread_id: int = ObjectId):
    caller = caller_for(request, WRITE)
    thread = permissions.access_thread(user=caller.user, slug=slug, thread_id=thread_id)
    follows.thread_unfollow(user=caller.user, thread=thread)
    return {"following": False}
