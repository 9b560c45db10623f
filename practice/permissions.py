"""Who may see or do what in practice: threads, posts, votes, events and their calendar feeds.

Built on the roles, visibility and membership predicates of ``communities.permissions``; the
rules of thumb there hold here (hidden content is a 404, an action refused on something visible
a 403). Each ``require_*`` check raises the refusal of its ``can_*`` twin, which templates read.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from communities.models import Community
from communities.permissions import (
    access_community_content,
    can_moderate,
    can_post,
    can_view_content,
    readable_communities_q,
)
from core import rows as model_rows
from practice.models import Event, Post, Thread

_CANNOT_HIDE = "You cannot hide this post."

# --- threads, posts, votes, moderation -----------------------------------------------------------
# Hidden content is for moderators only; locked threads take no new posts except from moderators.


def threads_visible_to(user, community: Community):
    """Threads of *community* that *user* may list (hidden ones only for moderators)."""
    if not can_view_content(user, community):
        return Thread.objects.none()
    qs = Thread.objects.filter(community=community)
    if not can_moderate(user, community):
        qs = qs.filter(is_hidden=False)
    return qs


def readable_threads(user):
    """Visible threads across every community *user* may read (search, feeds, activity pages)."""
    return Thread.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        is_hidden=False
    )


def readable_posts(user):
    """Visible posts in visible threads across every community *user* may read."""
    return Post.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        is_hidden=False, thread__is_hidden=False
    )


THREAD_RELATED = ("community", "author__profile", "opening_post", "accepted_post")


def access_thread(*, user, slug: str, thread_id, related: tuple = THREAD_RELATED) -> Thread:
    """Return a thread *user* may read; hidden, foreign or missing ones are a 404. *related*:
    what to load with it (the thread page, which reads its posts itself, asks for less)."""
    community = access_community_content(user=user, slug=slug)
    # The community is loaded already and the query keeps to it: attached, not joined again.
    related = tuple(name for name in related if name != "community")
    if related:
        thread = (
            threads_visible_to(user, community)
            .select_related(*related)
            .filter(pk=thread_id)
            .first()
        )
    else:
        # The thread page: the row alone, read with a plain query (composing it in the ORM
        # cost more than the rest of this check) and decided by can_view_thread.
        thread = _thread_of(community, thread_id)
        if thread is not None and not can_view_thread(user, thread, community):
            thread = None
    if thread is None:
        raise Http404("No such thread.")
    thread.community = community
    return thread


_THREAD_BY_ID = (
    f"SELECT {', '.join(f.column for f in Thread._meta.concrete_fields)} "
    f"FROM {Thread._meta.db_table} WHERE id = %s AND community_id = %s"
)


def _thread_of(community: Community, thread_id) -> Thread | None:
    try:
        thread_id = int(thread_id)
    except (TypeError, ValueError):
        return None
    if not 0 < thread_id < 2**63:  # no such row; SQLite cannot even take a larger number
        return None
    return model_rows.first(Thread, _THREAD_BY_ID, [thread_id, community.pk])


def can_view_thread(user, thread: Thread, community: Community) -> bool:
    """May *user* read *thread* of *community*? ``threads_visible_to`` for one loaded thread
    (``tests/practice/test_threads_permissions.py`` keeps the two equal)."""
    if thread.community_id != community.pk or not can_view_content(user, community):
        return False
    return not thread.is_hidden or can_moderate(user, community)


def access_post(*, user, slug: str, post_id) -> Post:
    """Return a post *user* may read (moderators also reach hidden ones)."""
    community = access_community_content(user=user, slug=slug)
    qs = Post.objects.select_related("thread__community", "author").filter(
        community=community, pk=post_id
    )
    if not can_moderate(user, community):
        qs = qs.filter(is_hidden=False, thread__is_hidden=False)
    post = qs.first()
    if post is None:
        raise Http404("No such post.")
    return post


def can_start_thread(user, community: Community) -> bool:
    return can_post(user, community)


def can_reply(user, thread) -> bool:
    if thread.is_hidden or not can_post(user, thread.community):
        return False
    return not thread.is_locked or can_moderate(user, thread.community)


def can_save_draft(user, community: Community, thread=None) -> bool:
    """A draft is kept only where *user* may post it: a new thread in *community*, or a reply
    to *thread* of that community."""
    if thread is None:
        return can_start_thread(user, community)
    return thread.community_id == community.pk and can_reply(user, thread)


def require_can_save_draft(*, user, community: Community, thread=None) -> None:
    if not can_save_draft(user, community, thread):
        raise PermissionDenied("You cannot post here.")


def require_can_reply(*, user, thread) -> None:
    if not can_reply(user, thread):
        if thread.is_locked:
            raise PermissionDenied("This thread is locked: it takes no new posts.")
        raise PermissionDenied("Only active members can post in this community.")


def can_edit_post(user, post) -> bool:
    if can_moderate(user, post.community):
        return True
    return (
        post.author_id == user.pk
        and not post.is_hidden
        and not post.thread.is_locked
        and can_post(user, post.community)
    )


def require_can_edit_post(*, user, post) -> None:
    if not can_edit_post(user, post):
        raise PermissionDenied("You cannot edit this post.")


def can_hide_post(user, post) -> bool:
    """Deleting is hiding: the author or a moderator hides."""
    if post.is_hidden:
        return False
    return can_moderate(user, post.community) or (
        user.is_authenticated and post.author_id == user.pk
    )


def require_can_hide_post(*, user, post) -> None:
    if not can_hide_post(user, post):
        raise PermissionDenied(_CANNOT_HIDE)


def can_hide_content(user, post) -> bool:
    """The moderation page's "hide": a moderator also reaches a post already hidden (its open
    flags still need closing); anyone else only what ``can_hide_post`` allows."""
    return can_moderate(user, post.community) or can_hide_post(user, post)


def require_can_hide_content(*, user, post) -> None:
    if not can_hide_content(user, post):
        raise PermissionDenied(_CANNOT_HIDE)


def can_restore(user, community: Community) -> bool:
    return can_moderate(user, community)


def require_can_restore(*, user, community: Community) -> None:
    if not can_restore(user, community):
        raise PermissionDenied("Only moderators restore hidden content.")


def can_vote(user, post) -> bool:
    return (
        user.is_authenticated
        and post.author_id != user.pk
        and not post.is_hidden
        and not post.thread.is_hidden
        and can_post(user, post.community)
    )


def require_can_vote(*, user, post) -> None:
    if not can_vote(user, post):
        raise PermissionDenied("You cannot vote on this post.")


def can_accept(user, thread) -> bool:
    if not thread.is_question or thread.is_hidden:
        return False
    if can_moderate(user, thread.community):
        return True
    return thread.author_id == user.pk and can_post(user, thread.community)


def require_can_accept(*, user, thread) -> None:
    if not can_accept(user, thread):
        raise PermissionDenied("Only the person who asked, or a moderator, accepts an answer.")


def can_unaccept(user, thread) -> bool:
    """Whoever may accept an answer may take the acceptance back."""
    return can_accept(user, thread)


def require_can_unaccept(*, user, thread) -> None:
    if not can_unaccept(user, thread):
        raise PermissionDenied("Only the person who asked, or a moderator, changes this.")


def can_report_adoption(user, post) -> bool:
    """ "This worked for me": members, about someone else's visible post."""
    return can_vote(user, post)


def require_can_report_adoption(*, user, post) -> None:
    if not can_report_adoption(user, post):
        raise PermissionDenied("You cannot report on this post.")


def is_adoption_target(post) -> bool:
    """ "This worked for me" is said of answers and replies, not of the question itself."""
    return not post.is_opening


def require_adoption_target(*, post) -> None:
    if not is_adoption_target(post):
        raise PermissionDenied("Report on answers and replies, not on the question itself.")


def can_flag(user, community: Community) -> bool:
    return can_post(user, community)


def require_can_flag(*, user, community: Community) -> None:
    if not can_flag(user, community):
        raise PermissionDenied("Only members of this community can flag content.")


def can_move_thread_to(user, community: Community) -> bool:
    """A thread moves only into a community its mover moderates."""
    return can_moderate(user, community)


def require_can_move_thread_to(*, user, community: Community) -> None:
    if not can_move_thread_to(user, community):
        raise PermissionDenied("You can only move threads to communities you moderate.")


def can_manage_events(user, community: Community) -> bool:
    return can_moderate(user, community)


def can_rsvp(user, event) -> bool:
    return event.cancelled_at is None and can_post(user, event.community)


def require_can_rsvp(*, user, event) -> None:
    if not can_rsvp(user, event):
        raise PermissionDenied("Only members can answer, and not for a cancelled event.")


def events_visible_to(user, community: Community):
    if not can_view_content(user, community):
        return Event.objects.none()
    return Event.objects.filter(community=community)


def access_event(*, user, slug: str, event_id) -> Event:
    community = access_community_content(user=user, slug=slug)
    event = events_visible_to(user, community).select_related("community").filter(pk=event_id)
    event = event.first()
    if event is None:
        raise Http404("No such event.")
    return event


def thread_posts_visible_to(user, thread):
    """Posts of *thread* that *user* may see on its page (hidden ones only for moderators)."""
    qs = Post.objects.filter(thread=thread)
    if not can_moderate(user, thread.community):
        qs = qs.filter(is_hidden=False)
    return qs


def can_follow_thread(user, thread) -> bool:
    """Signed-in readers may follow a thread (following sends notifications, not rights)."""
    return (
        user.is_authenticated and not thread.is_hidden and can_view_content(user, thread.community)
    )


def require_can_follow_thread(*, user, thread) -> None:
    if not can_follow_thread(user, thread):
        raise PermissionDenied("You cannot follow this thread.")


# --- events (where, RSVP timing, attendance, calendar feeds) -------------------------------------
# The place of an event is shown to everyone who may read the community. The online link (a
# video call) is shown only to people who may RSVP, and to moderators: in an open community
# anyone reads the event page, and a public meeting link invites strangers into the call.
# Calendar feeds follow the same rule; a private community's feed reaches members only, through
# the session or a per-member signed link (calendar apps cannot log in).

EVENT_FEED_SALT = "practice.events.feed"


def can_see_event_link(user, community: Community) -> bool:
    """May *user* see the online link of *community*'s events?"""
    return can_post(user, community)


def can_rsvp_now(user, event) -> bool:
    """May *user* answer going / maybe / not going now (before the event ends)?"""
    return can_rsvp(user, event) and event.ends_at > timezone.now()


def can_record_attendance(user, event, *, at: datetime | None = None) -> bool:
    """Moderators mark who attended, once the event has started (by *at*, default now; not a
    cancelled one)."""
    return (
        can_manage_events(user, event.community)
        and event.cancelled_at is None
        and event.starts_at <= (at or timezone.now())
    )


def require_can_record_attendance(*, user, event, at: datetime | None = None) -> None:
    if not can_record_attendance(user, event, at=at):
        raise PermissionDenied("Only moderators record attendance, once the event started.")


def require_can_manage_events(*, user, community: Community) -> None:
    if not can_manage_events(user, community):
        raise PermissionDenied("Only this community's moderators can manage its events.")


def event_feed_token(*, user, community: Community) -> str:
    """A secret, per-member token for *community*'s calendar feed (valid while they may read)."""
    return signing.dumps({"u": user.pk, "c": community.pk}, salt=EVENT_FEED_SALT, compress=True)


def access_event_feed(*, slug: str, token: str):
    """Return ``(community, user)`` for a signed feed link; anything else is a 404.

    The token only names the member: they must still be allowed to read the community now, so
    leaving, being banned or deactivated ends the feed.
    """
    try:
        data = signing.loads(token, salt=EVENT_FEED_SALT)
        user_id, community_id = int(data["u"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404("No such calendar.") from None
    community = Community.objects.filter(slug=slug, pk=community_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if community is None or user is None or not can_view_content(user, community):
        raise Http404("No such calendar.")
    return community, user
