"""What one viewer may do on one thread page, worked out once per page rather than per post.

The rules are those of ``practice.permissions``: ``ThreadCapabilities.for_thread`` asks it the
viewer's role in the community once (``can_post``, ``can_moderate``) and the thread-level
questions once, and ``post_rights`` then decides each post from those answers and the post's
own columns, the way ``can_vote``, ``can_edit_post``, ``can_hide_post`` and the others do.
``tests/practice/test_thread_capabilities.py`` checks the two give the same answers for every
kind of viewer and post, so this module never becomes a second rule book.
"""

from dataclasses import dataclass

from communities import permissions as community_permissions
from practice import permissions


@dataclass(frozen=True)
class PostRights:
    """The controls one post shows to the viewer."""

    can_vote: bool = False
    can_edit: bool = False
    can_hide: bool = False
    can_restore: bool = False
    can_accept: bool = False
    can_unaccept: bool = False
    can_report: bool = False
    can_quote: bool = False
    can_flag: bool = False


NO_RIGHTS = PostRights()


@dataclass(frozen=True)
class ThreadCapabilities:
    """The viewer's standing on one thread: computed once, read for every post of the page."""

    user_id: int | None
    is_authenticated: bool
    can_post: bool
    can_moderate: bool
    can_reply: bool
    can_accept: bool
    can_flag: bool
    can_restore: bool
    can_follow: bool
    thread_hidden: bool
    thread_locked: bool
    accepted_post_id: int | None

    @classmethod
    def for_thread(cls, *, user, thread) -> "ThreadCapabilities":
        community = thread.community
        authenticated = bool(user.is_authenticated)
        return cls(
            user_id=user.pk if authenticated else None,
            is_authenticated=authenticated,
            can_post=authenticated and community_permissions.can_post(user, community),
            can_moderate=community_permissions.can_moderate(user, community),
            can_reply=authenticated and permissions.can_reply(user, thread),
            can_accept=authenticated and permissions.can_accept(user, thread),
            can_flag=permissions.can_flag(user, community),
            can_restore=permissions.can_restore(user, community),
            can_follow=permissions.can_follow_thread(user, thread),
            thread_hidden=thread.is_hidden,
            thread_locked=thread.is_locked,
            accepted_post_id=thread.accepted_post_id,
        )

    def post_rights(self, post) -> PostRights:
        """The rights on *post* (a post of this thread), as ``practice.permissions`` decides."""
        if not self.is_authenticated:
            # Anonymous readers vote, edit, hide, accept, report, quote and flag nothing; only
            # moderators restore, and an anonymous reader moderates nothing.
            return NO_RIGHTS
        hidden = post.is_hidden
        own = post.author_id == self.user_id
        endorsable = not post.is_opening
        # can_vote / can_report_adoption
        can_vote = not own and not hidden and not self.thread_hidden and self.can_post
        is_accepted = post.pk == self.accepted_post_id
        return PostRights(
            can_vote=can_vote,
            # can_edit_post
            can_edit=self.can_moderate
            or (own and not hidden and not self.thread_locked and self.can_post),
            # can_hide_post
            can_hide=not hidden and (self.can_moderate or own),
            can_restore=hidden and self.can_restore,
            can_accept=self.can_accept and post.is_answer and not hidden,
            can_unaccept=is_accepted and self.can_accept,
            can_report=endorsable and can_vote,
            can_quote=self.can_reply and not hidden,
            can_flag=self.can_flag and endorsable and not hidden,
        )
