"""Who may see or do what. The only module that decides it: views, searches, feeds, exports and
dashboards ask here and never re-implement a rule.

Roles: anonymous, signed-in non-member, pending, member, moderator, banned, admin (a superuser,
or a staff account granted ``SITE_ADMIN_PERMISSION``; staff status alone only opens the Django
admin, where model permissions apply).
Visibility: open (anyone reads; signed-in users join at once), request (anyone reads; posting
needs an approved membership), private (listed by name and domain only; content for members).

Rule of thumb for refusals: content a viewer may not even know about is a 404 (the same as a
missing object); an action on something the viewer can see is a 403; an anonymous viewer is sent
to log in by the view's ``login_required``.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.http import Http404

from communities.models import Community, Membership, Profile

Visibility = Community.Visibility
State = Membership.State
Role = Membership.Role

_CACHE_ATTR = "_practica_memberships"
SITE_ADMIN_PERMISSION = "communities.administer_all_communities"
# ``with_perm`` needs to be told which backend holds permissions when there are several.
_PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- who is the viewer -------------------------------------------------------------------------


def is_admin(user) -> bool:
    """Is *user* a site admin: an active superuser, or a staff account granted the permission?"""
    if not (user.is_authenticated and user.is_active):
        return False
    # Only staff accounts are asked about the permission: it is granted in the admin, and
    # ordinary members (most checks) then cost no permission queries.
    return user.is_superuser or (user.is_staff and user.has_perm(SITE_ADMIN_PERMISSION))


def site_admin_ids(user_ids) -> set[int]:
    """Keep the ids of site admins among *user_ids* (one query)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.with_perm(
        SITE_ADMIN_PERMISSION, include_superusers=True, backend=_PERMISSION_BACKEND
    )
    return set(
        users.filter(pk__in=user_ids)
        .filter(Q(is_superuser=True) | Q(is_staff=True))
        .values_list("pk", flat=True)
    )


def membership_of(user, community: Community) -> Membership | None:
    """Return *user*'s membership row in *community* (any state), cached on the user object."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault(_CACHE_ATTR, {})
    if community.pk not in cache:
        cache[community.pk] = Membership.objects.filter(community=community, user=user).first()
    return cache[community.pk]


def forget_memberships(user) -> None:
    """Drop the cached memberships of *user* (after a service changed one)."""
    user.__dict__.pop(_CACHE_ATTR, None)


def _state(user, community) -> str | None:
    membership = membership_of(user, community)
    return membership.state if membership else None


def is_active_member(user, community: Community) -> bool:
    return _state(user, community) == State.ACTIVE


def is_moderator(user, community: Community) -> bool:
    membership = membership_of(user, community)
    return bool(membership and membership.is_moderator)


# --- questions ---------------------------------------------------------------------------------


def can_view_content(user, community: Community) -> bool:
    """May *user* read the community's content (about text, members, threads, items...)?"""
    if community.visibility in (Visibility.OPEN, Visibility.REQUEST):
        return True
    return is_admin(user) or is_active_member(user, community)


def can_post(user, community: Community) -> bool:
    return is_admin(user) or is_active_member(user, community)


def can_moderate(user, community: Community) -> bool:
    return is_admin(user) or is_moderator(user, community)


def can_join(user, community: Community) -> bool:
    """May *user* join at once (open communities only)?"""
    return (
        user.is_authenticated
        and community.visibility == Visibility.OPEN
        and _state(user, community) in (None, State.LEFT, State.DECLINED)
    )


def can_request(user, community: Community) -> bool:
    """May *user* ask a moderator to let them in?"""
    return (
        user.is_authenticated
        and community.visibility in (Visibility.REQUEST, Visibility.PRIVATE)
        and _state(user, community) in (None, State.LEFT, State.DECLINED)
    )


def can_leave(user, community: Community) -> bool:
    return _state(user, community) in (State.ACTIVE, State.PENDING)


def can_accept_invitation(user, community: Community) -> bool:
    return user.is_authenticated and _state(user, community) in (
        None,
        State.LEFT,
        State.DECLINED,
        State.PENDING,
    )


def can_ban(user, membership: Membership) -> bool:
    """Moderators ban members; only admins ban moderators; nobody bans themselves."""
    if membership.user_id == user.pk or not can_moderate(user, membership.community):
        return False
    if membership.role == Role.MODERATOR and membership.state == State.ACTIVE:
        return is_admin(user)
    return membership.state in (State.ACTIVE, State.PENDING, State.LEFT, State.DECLINED)


# A member's details (occupation, organisation, location, bio and declared expertise) follow
# their "who sees my details" choice wherever they appear: the profile page, the members
# directory and its tag filter, the experts pages, search. Name, username and professional
# group are always shown.


def can_view_profile_details(viewer, profile: Profile) -> bool:
    """May *viewer* see the profile's occupation, organisation, location, bio and expertise?"""
    if viewer.is_authenticated and (viewer.pk == profile.user_id or is_admin(viewer)):
        return True
    if profile.details_visible_to == Profile.Visibility.EVERYONE:
        return True
    if profile.details_visible_to == Profile.Visibility.COMMUNITIES and viewer.is_authenticated:
        return Membership.objects.filter(
            user=profile.user_id,
            state=State.ACTIVE,
            community__memberships__user=viewer,
            community__memberships__state=State.ACTIVE,
        ).exists()
    return False


def profile_details_visible_q(viewer, prefix: str = "") -> Q:
    """A Q for "profiles whose details *viewer* may see" (the rule of
    ``can_view_profile_details`` for many at once); *prefix* reaches the profile from a related
    model (e.g. ``"user__profile__"`` on memberships)."""
    if is_admin(viewer):
        return Q(**{f"{prefix}pk__isnull": False})
    everyone = Q(**{f"{prefix}details_visible_to": Profile.Visibility.EVERYONE})
    if not viewer.is_authenticated:
        return everyone
    viewer_communities = Membership.objects.filter(user=viewer, state=State.ACTIVE).values(
        "community_id"
    )
    fellows = Membership.objects.filter(
        community_id__in=viewer_communities, state=State.ACTIVE
    ).values("user_id")
    return (
        everyone
        | Q(**{f"{prefix}user": viewer.pk})
        | Q(
            **{
                f"{prefix}details_visible_to": Profile.Visibility.COMMUNITIES,
                f"{prefix}user__in": fellows,
            }
        )
    )


def profile_details_public(profile: Profile | None) -> bool:
    """May anybody at all see the profile's details (what a shared index may hold)?"""
    return profile is not None and profile.details_visible_to == Profile.Visibility.EVERYONE


# --- querysets ---------------------------------------------------------------------------------


def _active_membership_of(user):
    return Membership.objects.filter(community=OuterRef("pk"), user=user, state=State.ACTIVE)


def readable_communities_q(user, prefix: str = "") -> Q:
    """A Q for "communities whose content *user* may read"; *prefix* reaches them from a related
    model (e.g. ``"community__"`` on threads)."""
    public = Q(**{f"{prefix}visibility__in": [Visibility.OPEN, Visibility.REQUEST]})
    if is_admin(user):
        return Q()
    if not user.is_authenticated:
        return public
    member_of = Membership.objects.filter(user=user, state=State.ACTIVE).values("community_id")
    return public | Q(**{f"{prefix}pk__in": member_of})


def listed_communities(user) -> QuerySet[Community]:
    """Every community appears in the directory; private ones by name and domain only.

    Each row says whether *user* is an active member (``viewer_is_member``, signed in only)
    and may read its content (``viewer_can_read``: member counts and the like).
    """
    qs = Community.objects.all()
    if user.is_authenticated:
        qs = qs.annotate(viewer_is_member=Exists(_active_membership_of(user)))
    readable = readable_communities_q(user)
    if not readable:  # an admin reads everything
        return qs.annotate(viewer_can_read=Value(True, output_field=BooleanField()))
    return qs.annotate(viewer_can_read=ExpressionWrapper(readable, output_field=BooleanField()))


def readable_communities(user) -> QuerySet[Community]:
    return Community.objects.filter(readable_communities_q(user))


def visible_memberships(user, community: Community) -> QuerySet[Membership]:
    """Active memberships of *community* that *user* may list (none if the content is hidden)."""
    if not can_view_content(user, community):
        return Membership.objects.none()
    return Membership.objects.filter(community=community, state=State.ACTIVE)


def profile_memberships(viewer, user) -> QuerySet[Membership]:
    """*user*'s active memberships in communities *viewer* may read: a profile never reveals
    membership of a private community to someone outside it."""
    return Membership.objects.filter(user=user, state=State.ACTIVE).filter(
        readable_communities_q(viewer, prefix="community__")
    )


# --- search ------------------------------------------------------------------------------------
# The index holds only what every reader of a community may see (no hidden posts, published
# items, active members); a reader searches the communities whose content they may read.


def searchable_entries(user):
    """Search entries *user* may find: those of the communities whose content they may read."""
    from search.models import SearchEntry

    return SearchEntry.objects.filter(readable_communities_q(user, prefix="community__"))


# --- end search --------------------------------------------------------------------------------


# --- gatekeepers that raise --------------------------------------------------------------------


def access_community(*, user, slug: str) -> Community:
    """Return the community for listing-level pages (name, domain, join controls)."""
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise Http404("No such community.")
    return community


def access_community_content(*, user, slug: str) -> Community:
    """Return the community if *user* may read its content; a hidden one is a 404."""
    community = access_community(user=user, slug=slug)
    if not can_view_content(user, community):
        raise Http404("No such community.")
    return community


def access_community_moderation(*, user, slug: str) -> Community:
    community = access_community_content(user=user, slug=slug)
    require_can_moderate(user=user, community=community)
    return community


def require_can_moderate(*, user, community: Community) -> None:
    if not can_moderate(user, community):
        raise PermissionDenied("Only this community's moderators can do that.")


def require_can_post(*, user, community: Community) -> None:
    if not can_post(user, community):
        raise PermissionDenied("Only active members can post in this community.")


def access_membership_for_moderation(*, user, community: Community, membership_id) -> Membership:
    """Return a membership of *community* that *user* moderates; other ids are a 404."""
    require_can_moderate(user=user, community=community)
    membership = (
        Membership.objects.select_related("user", "community")
        .filter(community=community, pk=membership_id)
        .first()
    )
    if membership is None:
        raise Http404("No such membership.")
    return membership


# --- practice: threads, posts, votes, events, moderation ---------------------------------------
# Hidden content is for moderators only; locked threads take no new posts except from moderators.


def threads_visible_to(user, community: Community):
    """Threads of *community* that *user* may list (hidden ones only for moderators)."""
    from practice.models import Thread

    if not can_view_content(user, community):
        return Thread.objects.none()
    qs = Thread.objects.filter(community=community)
    if not can_moderate(user, community):
        qs = qs.filter(is_hidden=False)
    return qs


def readable_threads(user):
    """Visible threads across every community *user* may read (search, feeds, activity pages)."""
    from practice.models import Thread

    return Thread.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        is_hidden=False
    )


def readable_posts(user):
    """Visible posts in visible threads across every community *user* may read."""
    from practice.models import Post

    return Post.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        is_hidden=False, thread__is_hidden=False
    )


def access_thread(*, user, slug: str, thread_id) -> "Thread":  # noqa: F821
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


def access_post(*, user, slug: str, post_id) -> "Post":  # noqa: F821
    """Return a post *user* may read (moderators also reach hidden ones)."""
    from practice.models import Post

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
    from practice.models import Event

    if not can_view_content(user, community):
        return Event.objects.none()
    return Event.objects.filter(community=community)


def access_event(*, user, slug: str, event_id) -> "Event":  # noqa: F821
    community = access_community_content(user=user, slug=slug)
    event = events_visible_to(user, community).select_related("community").filter(pk=event_id)
    event = event.first()
    if event is None:
        raise Http404("No such event.")
    return event


def notifications_visible_to(user):
    """A member's notifications, only from communities they may (still) read."""
    from practice.models import Notification

    if not user.is_authenticated:
        return Notification.objects.none()
    # A decision on one's own membership names only the community (which the directory lists
    # anyway), so a declined applicant of a private community still sees it.
    qs = Notification.objects.filter(recipient=user)
    if is_admin(user):  # admins read everything (and ``Q() | q`` would be just ``q``)
        return qs
    return qs.filter(
        readable_communities_q(user, prefix="community__") | Q(kind=Notification.Kind.MEMBERSHIP)
    )


def can_follow(user, community: Community) -> bool:
    """Signed-in readers may follow a community or one of its tags (notifications, not rights)."""
    return bool(user.is_authenticated and user.is_active and can_view_content(user, community))


def can_subscribe_digest(user, community: Community) -> bool:
    """Active members (and admins) may get a community's weekly digest; it stops when they leave."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (is_active_member(user, community) or is_admin(user))
    )


def users_who_can_view(community: Community, user_ids: list[int]) -> list[int]:
    """Keep the ids of users who may read *community*'s content now (for notifications)."""
    if community.visibility != Visibility.PRIVATE or not user_ids:
        return list(user_ids)
    allowed = set(
        Membership.objects.filter(
            community=community, user_id__in=user_ids, state=State.ACTIVE
        ).values_list("user_id", flat=True)
    ) | site_admin_ids(user_ids)
    return [uid for uid in user_ids if uid in allowed]


def moderated_communities(user):
    """Communities *user* moderates (targets for moving a thread)."""
    if is_admin(user):
        return Community.objects.all()
    return Community.objects.filter(
        memberships__user=user, memberships__state=State.ACTIVE, memberships__role=Role.MODERATOR
    )


def thread_posts_visible_to(user, thread):
    """Posts of *thread* that *user* may see on its page (hidden ones only for moderators)."""
    from practice.models import Post

    qs = Post.objects.filter(thread=thread)
    if not can_moderate(user, thread.community):
        qs = qs.filter(is_hidden=False)
    return qs


def can_follow_thread(user, thread) -> bool:
    """Signed-in readers may follow a thread (following sends notifications, not rights)."""
    return (
        user.is_authenticated and not thread.is_hidden and can_view_content(user, thread.community)
    )


# --- practice: events (where, RSVP timing, attendance, calendar feeds) -------------------------
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
    from django.utils import timezone

    return can_rsvp(user, event) and event.ends_at > timezone.now()


def can_record_attendance(user, event) -> bool:
    """Moderators mark who attended, once the event has started (not a cancelled one)."""
    from django.utils import timezone

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
    from django.core import signing

    return signing.dumps({"u": user.pk, "c": community.pk}, salt=EVENT_FEED_SALT, compress=True)


def access_event_feed(*, slug: str, token: str):
    """Return ``(community, user)`` for a signed feed link; anything else is a 404.

    The token only names the member: they must still be allowed to read the community now, so
    leaving, being banned or deactivated ends the feed.
    """
    from django.contrib.auth import get_user_model
    from django.core import signing

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


# --- knowledge: items and curation -------------------------------------------------------------
# Readers see published items (and archived ones by their address, which point to a successor);
# a proposer also sees their own proposals in any state; moderators see every state. Members
# propose items and changes; moderators publish, ask for changes, feature, archive and restore.


def can_curate(user, community: Community) -> bool:
    """Publish, ask for changes, feature, archive, restore revisions: moderators' work."""
    return can_moderate(user, community)


def require_can_curate(*, user, community: Community) -> None:
    if not can_curate(user, community):
        raise PermissionDenied("Only this community's moderators curate its library.")


def items_visible_to(user, community: Community):
    """Items of *community* that *user* may open (the library lists only the published ones)."""
    from knowledge.models import Item

    if not can_view_content(user, community):
        return Item.objects.none()
    qs = Item.objects.filter(community=community)
    if can_curate(user, community):
        return qs
    # An archived item stays readable only if it was once published (old links lead on to its
    # successor); a proposal archived unpublished stays as private as it was.
    readable = Q(state=Item.State.PUBLISHED) | Q(
        state=Item.State.ARCHIVED, published_at__isnull=False
    )
    if user.is_authenticated:
        readable |= Q(proposed_by=user)
    return qs.filter(readable)


def readable_items(user):
    """Published items across every community *user* may read (search, feeds, profiles)."""
    from knowledge.models import Item

    return Item.objects.filter(readable_communities_q(user, prefix="community__")).filter(
        state=Item.State.PUBLISHED
    )


def access_item(*, user, slug: str, item_id) -> "Item":  # noqa: F821
    """Return an item *user* may open; hidden, foreign or missing ones are a 404."""
    community = access_community_content(user=user, slug=slug)
    item = (
        items_visible_to(user, community)
        .select_related("community", "proposed_by__profile", "superseded_by")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    item.community = community  # the same row: spares a query per permission check
    return item


def can_propose_item(user, community: Community) -> bool:
    return can_post(user, community)


def require_can_propose_item(*, user, community: Community) -> None:
    if not can_propose_item(user, community):
        raise PermissionDenied("Only active members can propose items for the library.")


def can_edit_item(user, item) -> bool:
    """Moderators edit any item directly; a proposer edits their own proposal until it is
    published (after that, members propose changes)."""
    from knowledge.models import Item

    if can_curate(user, item.community):
        return True
    return (
        user.is_authenticated
        and item.proposed_by_id == user.pk
        and item.state in (Item.State.PROPOSED, Item.State.CHANGES_REQUESTED)
        and can_post(user, item.community)
    )


def can_propose_change(user, item) -> bool:
    """Members propose changes to published items (moderators just edit)."""
    from knowledge.models import Item

    return (
        item.state == Item.State.PUBLISHED
        and can_post(user, item.community)
        and not can_curate(user, item.community)
    )


def can_manage_attachments(user, item) -> bool:
    """Attach or remove files: whoever may edit the item directly."""
    return can_edit_item(user, item)


def access_attachment(*, user, slug: str, item_id, attachment_id) -> "ItemAttachment":  # noqa: F821
    """Return an attachment of an item *user* may open; anything else is a 404."""
    item = access_item(user=user, slug=slug, item_id=item_id)
    attachment = item.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    attachment.item = item
    return attachment


def change_proposals_visible_to(user, item):
    """Change proposals of *item*: all for moderators, one's own for members."""
    from knowledge.models import ChangeProposal

    if can_curate(user, item.community):
        return ChangeProposal.objects.filter(item=item)
    if not user.is_authenticated:
        return ChangeProposal.objects.none()
    return ChangeProposal.objects.filter(item=item, proposed_by=user)


def access_change_proposal(*, user, slug: str, item_id, proposal_id) -> "ChangeProposal":  # noqa: F821
    """Return a change proposal its proposer or a moderator may open; others get a 404."""
    item = access_item(user=user, slug=slug, item_id=item_id)
    proposal = (
        change_proposals_visible_to(user, item)
        .select_related("proposed_by__profile", "decided_by__profile")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise Http404("No such change proposal.")
    proposal.item = item
    return proposal


def can_see_curation_comment(user, event, item) -> bool:
    """May *user*, who may open *item*, see the comment of *event*, an entry of its log?

    The log is part of the item's page, but some comments are a conversation between the
    moderators and one member: a change proposal's note and the moderators' answers to it
    (the proposer reads those on the proposal's page), and what a moderator tells the proposer
    of a new item before its first publication (sent back, declined by archiving). Those are
    for the moderators and the member; every other comment is for every reader of the item.
    """
    from knowledge.models import CurationEvent

    Action = CurationEvent.Action
    # An item is sent back or declined only as a proposal, and a published item never becomes
    # a proposal again: what precedes the first publication was said to its proposer.
    to_the_proposer = event.action in (Action.CHANGES_REQUESTED, Action.ARCHIVED) and (
        item.published_at is None or event.created_at < item.published_at
    )
    about_a_change = event.action in (
        Action.CHANGE_PROPOSED,
        Action.CHANGE_ACCEPTED,
        Action.CHANGE_DECLINED,
        Action.CHANGES_REQUESTED,
    )
    if not (to_the_proposer or about_a_change) or can_curate(user, item.community):
        return True
    if not user.is_authenticated:
        return False
    return event.actor_id == user.pk or (to_the_proposer and item.proposed_by_id == user.pk)


def can_edit_change_proposal(user, proposal) -> bool:
    """The proposer revises or withdraws their own open proposal while they may post."""
    return (
        user.is_authenticated
        and proposal.proposed_by_id == user.pk
        and proposal.is_open
        and can_post(user, proposal.item.community)
    )


# --- knowledge: evidence, promotion, health, experts -------------------------------------------
# "I used this" reports come from active members about published items; promotion and the
# content-health queue are moderators' work; "who knows what" is community content (a private
# community's experts are for its members only).


def can_report_evidence(user, item) -> bool:
    """May *user* say how *item* went in their own practice (active members, published items)?"""
    from knowledge.models import Item

    return bool(
        user.is_authenticated
        and item.state == Item.State.PUBLISHED
        and is_active_member(user, item.community)
    )


def can_see_evidence(user, item) -> bool:
    """Evidence is part of an item's page: whoever may read the community may read it."""
    return can_view_content(user, item.community)


def can_promote(user, source) -> bool:
    """May *user* turn *source* (a thread or a post) into a proposed repertoire item?

    Moderators only, and only visible content: a hidden post must not reach the library.
    """
    from practice.models import Post

    if not user.is_authenticated or not can_moderate(user, source.community):
        return False
    if isinstance(source, Post):
        return not source.is_hidden and not source.thread.is_hidden
    return not source.is_hidden


def require_can_promote(*, user, source) -> None:
    if not can_promote(user, source):
        raise PermissionDenied("Only this community's moderators turn discussions into items.")


def access_health(*, user, slug: str) -> Community:
    """The content-health queue is moderation: 404 when hidden, 403 for non-moderators."""
    return access_community_moderation(user=user, slug=slug)


def can_view_experts(user, community: Community) -> bool:
    """Who knows what is community content (derived from threads and items)."""
    return can_view_content(user, community)


def access_experts(*, user, slug: str) -> Community:
    return access_community_content(user=user, slug=slug)


# --- metrics: dashboards -----------------------------------------------------------------------
# The community dashboard shows aggregates to everyone who may read the community; the network
# drawing and the broker list carry names only for the community's own members (and moderators,
# admins). Member-level detail, exports and "recompute now" are moderators' tools. "My network"
# is for the signed-in active member.


def can_view_dashboard(user, community: Community) -> bool:
    """Aggregated participation and network figures are community content."""
    return can_view_content(user, community)


def can_see_metrics_names(user, community: Community) -> bool:
    """Names on the network drawing and broker list: members, moderators and admins only."""
    return can_moderate(user, community) or is_active_member(user, community)


def can_view_member_metrics(user, community: Community) -> bool:
    """Member-level detail (levels table, drifting away, at-risk questions): moderators."""
    return can_moderate(user, community)


def can_export_metrics(user, community: Community) -> bool:
    return can_moderate(user, community)


def can_request_metrics(user, community: Community) -> bool:
    """Ask for a recompute now (it is coalesced with any pending one)."""
    return can_moderate(user, community)


def can_view_my_network(user, community: Community) -> bool:
    return is_active_member(user, community)


def access_dashboard(*, user, slug: str) -> Community:
    return access_community_content(user=user, slug=slug)


def access_member_metrics(*, user, slug: str) -> Community:
    """Moderator view and exports: 404 when the community is hidden, 403 for non-moderators."""
    community = access_community_content(user=user, slug=slug)
    if not can_view_member_metrics(user, community):
        raise PermissionDenied("Only this community's moderators see member-level metrics.")
    return community


def access_my_network(*, user, slug: str) -> Community:
    community = access_community_content(user=user, slug=slug)
    if not can_view_my_network(user, community):
        raise PermissionDenied("Only active members of this community have a network here.")
    return community
