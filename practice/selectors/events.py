"""Reads for events: lists, counts, the viewer's answer, attendees, calendar feeds."""

from datetime import timedelta

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from communities.models import Membership
from practice import permissions
from practice.models import RSVP, Event

Answer = RSVP.Answer
# A calendar feed carries what is coming and what happened recently (calendar apps keep the
# rest); the cap keeps a feed of a very busy community small.
FEED_PAST_DAYS = 180
FEED_MAX_EVENTS = 500


def _with_counts(qs: QuerySet[Event], user) -> QuerySet[Event]:
    qs = qs.select_related("community").annotate(
        going_count=Count("rsvps", filter=Q(rsvps__answer=Answer.GOING)),
        maybe_count=Count("rsvps", filter=Q(rsvps__answer=Answer.MAYBE)),
        waitlist_count=Count("rsvps", filter=Q(rsvps__answer=Answer.WAITLIST)),
    )
    if user.is_authenticated:
        mine = RSVP.objects.filter(event=OuterRef("pk"), user=user).values("answer")[:1]
        qs = qs.annotate(my_answer=Subquery(mine))
    return qs


def upcoming_events(*, user, community) -> QuerySet[Event]:
    """Events of *community* not yet over, soonest first, with RSVP counts."""
    qs = permissions.events_visible_to(user, community).filter(ends_at__gt=timezone.now())
    return _with_counts(qs, user).order_by("starts_at", "pk")


def past_events(*, user, community) -> QuerySet[Event]:
    """Events of *community* that are over, latest first, with RSVP counts."""
    qs = permissions.events_visible_to(user, community).filter(ends_at__lte=timezone.now())
    return _with_counts(qs, user).order_by("-starts_at", "-pk")


def event_counts(*, event: Event) -> dict[str, int]:
    """How many answered going, maybe, not going, are waiting, and attended."""
    return RSVP.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(answer=Answer.GOING)),
        maybe=Count("pk", filter=Q(answer=Answer.MAYBE)),
        not_going=Count("pk", filter=Q(answer=Answer.NOT_GOING)),
        waitlist=Count("pk", filter=Q(answer=Answer.WAITLIST)),
        attended=Count("pk", filter=Q(attended=True)),
    )


def rsvp_of(*, event: Event, user) -> RSVP | None:
    if not user.is_authenticated:
        return None
    return RSVP.objects.filter(event=event, user=user).first()


def waitlist_position(*, rsvp: RSVP | None) -> int | None:
    """1 for the next person to get a place; None when not on the waiting list."""
    if rsvp is None or rsvp.answer != Answer.WAITLIST:
        return None
    ahead = RSVP.objects.filter(event_id=rsvp.event_id, answer=Answer.WAITLIST).filter(
        Q(updated_at__lt=rsvp.updated_at)
        | Q(updated_at=rsvp.updated_at, created_at__lt=rsvp.created_at)
        | Q(updated_at=rsvp.updated_at, created_at=rsvp.created_at, pk__lt=rsvp.pk)
    )
    return ahead.count() + 1


def event_rsvps(*, event: Event) -> QuerySet[RSVP]:
    """Everyone who answered (for moderators): going first, then maybe, waiting, not going."""
    order = {Answer.GOING: 0, Answer.MAYBE: 1, Answer.WAITLIST: 2, Answer.NOT_GOING: 3}
    rank = Case(
        *[When(answer=a, then=Value(n)) for a, n in order.items()],
        output_field=IntegerField(),
    )
    return (
        RSVP.objects.filter(event=event)
        .select_related("user__profile")
        .annotate(rank=rank)
        .order_by("rank", "updated_at", "pk")
    )


def active_members_by_username(*, community, usernames: list[str]) -> dict[str, int]:
    """Map the given usernames (case-insensitive) of active members to their user ids."""
    names = {n.strip().lower() for n in usernames if n.strip()}
    if not names:
        return {}
    rows = Membership.objects.filter(
        community=community, state=Membership.State.ACTIVE
    ).values_list("user__username", "user_id")
    query = Q()
    for name in names:
        query |= Q(user__username__iexact=name)
    return {u.lower(): uid for u, uid in rows.filter(query)}


def feed_events(*, community) -> list[Event]:
    """Events for a calendar feed: upcoming ones and those of the recent past."""
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    qs = Event.objects.filter(community=community, ends_at__gte=since).select_related("community")
    return list(qs.order_by("starts_at", "pk")[:FEED_MAX_EVENTS])
