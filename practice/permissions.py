"""Who may see or do what in practice: threads, posts, votes, events and their calendar feeds.

Built on the roles, visibility and membership predicates of ``communities.permissions``; the
rules of thumb there hold here (hidden content is a 404, an action refused on something visible
a 403). Each ``require_*`` check raises the refusal of its ``can_*`` twin, which templates read.
"""

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
from practice.models import Event, Post, Thread

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


def access_thread(*, user, slug: str, thread_id) -> Thread:
    """Return a thread *user* may read; hidden, foreign or missing ones are a 404."""
    community = access_community_content(user=user, slug=slug)
    thread = (
        threads_visible_to(user, community)
        .select_related("community", "author__profile", "opening_post", "accepted_post")
        .filter(pk=thread_id)
        .first()
    )
    if thread is None:
        raise Http404("No such thread.")
    return thread


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


def can_edit_post(user, post) -> bool:
    if can_moderate(user, post.community):
        return True
    return (
        post.author_id == user.pk
        and not post.is_hidden
        and not post.thread.is_locked
        and can_post(user, post.community)
    )


def can_hide_post(user, post) -> bool:
    """Deleting is hiding: the author or a moderator hides."""
    if post.is_hidden:
        return False
    return can_moderate(user, post.community) or (
        user.is_authenticated and post.author_id == user.pk
    )


def can_restore(user, community: Community) -> bool:
    return can_moderate(user, community)


def can_vote(user, post) -> bool:
    return (
        user.is_authenticated
        and post.author_id != user.pk
        and not post.is_hidden
        and not post.thread.is_hidden
        and can_post(user, post.community)
    )


def can_accept(user, thread) -> bool:
    if not thread.is_question or thread.is_hidden:
        return False
    if can_moderate(user, thread.community):
        return True
    return thread.author_id == user.pk and can_post(user, thread.community)


def can_report_adoption(user, post) -> bool:
    """ "This worked for me": members, about someone else's visible post."""
    return can_vote(user, post)


def can_flag(user, community: Community) -> bool:
    return can_post(user, community)


def can_manage_events(user, community: Community) -> bool:
    return can_moderate(user, community)


def can_rsvp(user, event) -> bool:
    return event.cancelled_at is None and can_post(user, event.community)


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


def can_record_attendance(user, event) -> bool:
    """Moderators mark who attended, once the event has started (not a cancelled one)."""
    return (
        can_manage_events(user, event.community)
        and event.cancelled_at is None
        and event.starts_at <= timezone.now()
    )


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
