"""Events: create, change and cancel them; RSVPs with a waiting list; attendance and the
co-attendance interactions it implies."""

from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities import permissions as community_permissions
from communities.interactions import group_specs, interactions_retract, interactions_write
from communities.models import Interaction, Membership
from core.markdown import render_markdown
from notifications.services import Kind as NotificationKind
from notifications.services import notify
from practice import permissions
from practice.models import RSVP, Event
from practice.services.moderation_log import Action, log_action

Answer = RSVP.Answer

TITLE_MAX_LENGTH = Event._meta.get_field("title").max_length
DESCRIPTION_MAX_LENGTH = Event._meta.get_field("description").max_length
PLACE_MAX_LENGTH = Event._meta.get_field("place").max_length
URL_MAX_LENGTH = Event._meta.get_field("online_url").max_length
CAPACITY_MAX = 100_000
# Everyone who said they might come hears about changes; "not going" does not.
INTERESTED = (Answer.GOING, Answer.MAYBE, Answer.WAITLIST)
EDITABLE_FIELDS = (
    "kind", "title", "description", "starts_at", "ends_at", "timezone", "place", "online_url",
    "capacity",
)  # fmt: skip

_validate_url = URLValidator(schemes=["http", "https"])


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows."""
    return frozenset(available_timezones())


def _no_nul(errors: dict, name: str, value: str) -> None:
    # PostgreSQL refuses NUL in text (SQLite stores it): refuse it everywhere alike.
    if "\x00" in value:
        errors[name] = "Remove the invisible NUL characters."


def clean_event_fields(fields: dict) -> dict:
    """Validate and normalise an event's editable fields; raise ValidationError per field."""
    errors: dict[str, str] = {}
    title = " ".join(str(fields.get("title") or "").split())
    description = str(fields.get("description") or "").strip()
    place = " ".join(str(fields.get("place") or "").split())
    online_url = str(fields.get("online_url") or "").strip()
    tz = str(fields.get("timezone") or "")
    kind = fields.get("kind") or Event.Kind.MEETUP
    for name, value in (("title", title), ("description", description), ("place", place)):
        _no_nul(errors, name, value)
    if not title:
        errors["title"] = "Give the event a title."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Keep the title under {TITLE_MAX_LENGTH} characters."
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = (
            f"That is {len(description):,} characters; the limit is {DESCRIPTION_MAX_LENGTH:,}."
        )
    if len(place) > PLACE_MAX_LENGTH:
        errors["place"] = f"Keep the place under {PLACE_MAX_LENGTH} characters."
    if kind not in Event.Kind.values:
        errors["kind"] = "Choose a meetup, a practice session or a webinar."
    if tz not in time_zone_names():
        errors["timezone"] = "Choose a time zone from the list, e.g. Europe/Paris."
    if online_url:
        try:
            if len(online_url) > URL_MAX_LENGTH or "\x00" in online_url:
                raise ValidationError("too long")
            _validate_url(online_url)
        except ValidationError:
            errors["online_url"] = "Enter a web address starting with https:// or http://."
    capacity = fields.get("capacity")
    if capacity in ("", None):
        capacity = None
    elif (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= CAPACITY_MAX
    ):
        errors["capacity"] = f"Enter a number of places from 1 to {CAPACITY_MAX:,}, or leave empty."
    starts_at, ends_at = fields.get("starts_at"), fields.get("ends_at")
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            errors[name] = "Enter a date and time."
    if "starts_at" not in errors and "ends_at" not in errors and ends_at <= starts_at:
        errors["ends_at"] = "The event must end after it starts."
    if not place and not online_url and "place" not in errors and "online_url" not in errors:
        errors["place"] = "Say where it happens: a place, an online link, or both."
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": tz,
        "place": place,
        "online_url": online_url,
        "capacity": capacity,
    }


def _interested_ids(event: Event) -> list[int]:
    ids = RSVP.objects.filter(event=event, answer__in=INTERESTED).values_list("user_id", flat=True)
    return community_permissions.users_who_can_view(event.community, list(ids))


def _notify_interested(event: Event, *, by, text: str) -> None:
    notify(
        recipient_ids=_interested_ids(event),
        kind=NotificationKind.EVENT,
        community=event.community,
        actor=by,
        target=event,
        text=text,
        url=event.get_absolute_url(),
    )


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().select_related("community").get(pk=event.pk)


def event_create(*, community, by, at: datetime | None = None, **fields) -> Event:
    """Create an event in *community* (moderators only), at *at* (default now)."""
    permissions.require_can_manage_events(user=by, community=community)
    cleaned = clean_event_fields(fields)
    now = at or timezone.now()
    with transaction.atomic():
        event = Event.objects.create(
            community=community,
            created_by=by,
            description_html=render_markdown(cleaned["description"]),
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        log_action(
            community=community,
            moderator=by,
            action=Action.EVENT,
            summary=f"Created the event “{event.title}”",
            at=now,
        )
    return event


def event_update(*, event: Event, by, **fields) -> Event:
    """Change an event; people who may come are told, calendars see a new SEQUENCE."""
    permissions.require_can_manage_events(user=by, community=event.community)
    cleaned = clean_event_fields(fields)
    with transaction.atomic():
        event = _locked(event)
        if event.cancelled_at is not None:
            raise ValidationError("This event is cancelled; it can no longer be changed.")
        changed = [name for name in EDITABLE_FIELDS if getattr(event, name) != cleaned[name]]
        if not changed:
            return event
        old_starts_at = event.starts_at
        for name in changed:
            setattr(event, name, cleaned[name])
        if "description" in changed:
            event.description_html = render_markdown(event.description)
            changed.append("description_html")
        event.sequence += 1
        event.updated_at = timezone.now()
        event.save(update_fields=[*changed, "sequence", "updated_at"])
        if event.attendance_recorded_at is not None and event.starts_at != old_starts_at:
            # Co-attendance happens at the event's start: keep the log equal to a rebuild.
            _rewrite_co_attendance(event)
        _promote_waitlist(event, now=event.updated_at)
        _notify_interested(event, by=by, text=f"“{event.title}” was changed")
        log_action(
            community=event.community,
            moderator=by,
            action=Action.EVENT,
            summary=f"Changed the event “{event.title}” ({', '.join(sorted(changed))})"[:300],
        )
    return event


def event_cancel(*, event: Event, by, reason: str = "") -> Event:
    """Cancel an event (idempotent); everyone who may come is told."""
    permissions.require_can_manage_events(user=by, community=event.community)
    reason = " ".join(str(reason or "").split())[:500].replace("\x00", "")
    with transaction.atomic():
        event = _locked(event)
        if event.cancelled_at is not None:
            return event
        event.cancelled_at = event.updated_at = timezone.now()
        event.sequence += 1
        event.save(update_fields=["cancelled_at", "sequence", "updated_at"])
        text = f"“{event.title}” was cancelled"
        _notify_interested(event, by=by, text=f"{text}: {reason}" if reason else text)
        log_action(
            community=event.community,
            moderator=by,
            action=Action.EVENT,
            summary=f"Cancelled the event “{event.title}”",
            reason=reason,
        )
    return event


def _going_count(event: Event) -> int:
    return RSVP.objects.filter(event=event, answer=Answer.GOING).count()


def _promote_waitlist(event: Event, *, now: datetime) -> list[RSVP]:
    """Move people from the waiting list to going while places are free (event row locked)."""
    if event.capacity is None:
        free = None
    else:
        free = event.capacity - _going_count(event)
        if free <= 0:
            return []
    waiting = RSVP.objects.filter(event=event, answer=Answer.WAITLIST).order_by(
        "updated_at", "created_at", "pk"
    )
    promoted = list(waiting if free is None else waiting[:free])
    if not promoted:
        return []
    RSVP.objects.filter(pk__in=[r.pk for r in promoted]).update(answer=Answer.GOING, updated_at=now)
    notify(
        recipient_ids=community_permissions.users_who_can_view(
            event.community, [r.user_id for r in promoted]
        ),
        kind=NotificationKind.EVENT,
        community=event.community,
        target=event,
        text=f"A place opened up: you are now going to “{event.title}”",
        url=event.get_absolute_url(),
        at=now,
    )
    return promoted


def rsvp_set(*, event: Event, user, answer: str, at: datetime | None = None) -> RSVP:
    """Answer going / maybe / not going; "going" to a full event joins the waiting list.

    Safe under concurrent clicks: the event row is locked while places are counted, and a
    repeated answer changes nothing (the waiting list keeps its order). *at*: the answer's
    moment (default now).
    """
    if answer not in (Answer.GOING, Answer.MAYBE, Answer.NOT_GOING):
        raise ValidationError({"answer": "Choose going, maybe or not going."})
    with transaction.atomic():
        event = _locked(event)
        permissions.require_can_rsvp(user=user, event=event)
        now = at or timezone.now()
        if event.ends_at <= now:
            raise ValidationError("This event is over.")
        rsvp = RSVP.objects.select_for_update().filter(event=event, user=user).first()
        previous = rsvp.answer if rsvp else None
        if previous == answer or (answer == Answer.GOING and previous == Answer.WAITLIST):
            return rsvp
        new = answer
        if (
            answer == Answer.GOING
            and event.capacity is not None
            and _going_count(event) >= event.capacity
        ):
            new = Answer.WAITLIST
        if rsvp is None:
            try:
                with transaction.atomic():
                    rsvp = RSVP.objects.create(
                        event=event, user=user, answer=new, created_at=now, updated_at=now
                    )
            except IntegrityError:  # cannot happen under the event lock; kept for safety
                rsvp = RSVP.objects.get(event=event, user=user)
        else:
            rsvp.answer = new
            rsvp.updated_at = now
            rsvp.save(update_fields=["answer", "updated_at"])
        if previous == Answer.GOING:
            _promote_waitlist(event, now=now)
    return rsvp


def attendance_record(*, event: Event, by, attendee_ids, at: datetime | None = None) -> int:
    """Mark who attended (everyone else did not); rewrite the event's co-attendance.

    Attendees must have answered the invitation or be active members of the community.
    *at*: the moment it is recorded (default now). Return the number of attendees.
    """
    now = at or timezone.now()
    if not permissions.can_record_attendance(by, event, at=now):
        permissions.require_can_manage_events(user=by, community=event.community)
        raise ValidationError("Attendance can be recorded once a (not cancelled) event started.")
    try:
        ids = {int(i) for i in attendee_ids}
    except (TypeError, ValueError):
        raise ValidationError({"attendees": "Choose people from the list."}) from None
    with transaction.atomic():
        event = _locked(event)
        answered = set(RSVP.objects.filter(event=event).values_list("user_id", flat=True))
        members = set(
            Membership.objects.filter(
                community=event.community, user_id__in=ids - answered, state=Membership.State.ACTIVE
            ).values_list("user_id", flat=True)
        )
        unknown = ids - answered - members
        if unknown:
            raise ValidationError({"attendees": "Only members of this community can attend."})
        RSVP.objects.filter(event=event).exclude(user_id__in=ids).update(attended=False)
        RSVP.objects.filter(event=event, user_id__in=ids).update(attended=True)
        RSVP.objects.bulk_create(
            [
                RSVP(
                    event=event,
                    user_id=uid,
                    answer=Answer.GOING,
                    attended=True,
                    created_at=now,
                    updated_at=now,
                )
                for uid in sorted(members)
            ]
        )
        event.attendance_recorded_at = now
        event.save(update_fields=["attendance_recorded_at"])
        _rewrite_co_attendance(event)
        log_action(
            community=event.community,
            moderator=by,
            action=Action.ATTENDANCE,
            summary=f"Recorded {len(ids)} attendee(s) of “{event.title}”",
            at=now,
        )
    return len(ids)


def _rewrite_co_attendance(event: Event) -> None:
    """Replace the event's co-attendance log, exactly as ``attendance_source`` derives it."""
    kind = Interaction.Kind.CO_ATTENDANCE
    interactions_retract(source=event, kind=kind)
    attendees = RSVP.objects.filter(event=event, attended=True).values_list("user_id", flat=True)
    interactions_write(
        group_specs(
            community_id=event.community_id,
            member_ids=list(attendees),
            kind=kind,
            occurred_at=event.starts_at,
            source=event,
        )
    )
