"""Closing an account (accounts.closure): the person's drafts and follows, the moderation log
and others' posts that named them, and their own posts' text when they chose to remove it."""

from django.db.models import Q

from accounts.closure import scrub
from practice import changes
from practice.models import Draft, Follow, ModerationAction, Post, PostMention, PostRevision, Thread
from practice.services.content import render_body

REMOVED_BODY = "*Removed at its author's request.*"
REMOVED_TITLE = "Removed at its author's request"


def erase_member(user, *, remove_posts: bool, old_names) -> None:
    Draft.objects.filter(user=user).delete()
    Follow.objects.filter(user=user).delete()
    _scrub_moderation_log(old_names)
    changed_posts = _unmention(user, old_names)
    changed_threads = set()
    if remove_posts:
        own = Post.objects.filter(author=user)
        changed_posts |= set(own.values_list("pk", flat=True))
        PostRevision.objects.filter(post__author=user).delete()
        own.update(body=REMOVED_BODY, body_html=render_body(REMOVED_BODY)[0])
        threads = Thread.objects.filter(author=user)
        changed_threads = set(threads.values_list("pk", flat=True))
        threads.update(title=REMOVED_TITLE)
    # Re-index every thread holding a post whose text changed or that is theirs: the index keeps
    # the author's name beside the text. One batch, not a post at a time.
    thread_ids = changed_threads | set(
        Post.objects.filter(Q(author=user) | Q(pk__in=changed_posts)).values_list(
            "thread_id", flat=True
        )
    )
    changes.threads_changed(sorted(thread_ids))


def _scrub_moderation_log(old_names) -> None:
    naming = Q(pk__in=[])
    for name in old_names:
        naming |= Q(summary__contains=name) | Q(reason__contains=name)
    for action in ModerationAction.objects.filter(naming).only("pk", "summary", "reason"):
        action.summary = scrub(action.summary, old_names)[:300]
        action.reason = scrub(action.reason, old_names)[:500]
        action.save(update_fields=["summary", "reason"])


def _unmention(user, old_names) -> set[int]:
    """Others' posts that @mentioned the person: the mention becomes plain "A former member"
    (in the text and its revisions); returns the posts changed."""
    username = user.get_username()
    names = {f"@{username}", *old_names}
    post_ids = set(PostMention.objects.filter(user=user).values_list("post_id", flat=True))
    for post in Post.objects.filter(pk__in=post_ids).only("pk", "body"):
        post.body = scrub(post.body, names)
        post.body_html = render_body(post.body)[0]
        post.save(update_fields=["body", "body_html"])
    for revision in PostRevision.objects.filter(post_id__in=post_ids).only("pk", "body"):
        revision.body = scrub(revision.body, names)
        revision.save(update_fields=["body"])
    PostMention.objects.filter(user=user).delete()
    return post_ids
