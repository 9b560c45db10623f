"""Forms for events: they parse what was typed; the services decide what is valid."""

from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from communities.models import display_name
from practice.models import RSVP, Event
from practice.services.events import CAPACITY_MAX, time_zone_names

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _time_zone_choices():
    return [(name, name) for name in sorted(time_zone_names())]


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time without zone; the form attaches the event's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and timezone.is_aware(value):
            # Django made it aware in the site's zone; keep the wall-clock time only.
            value = timezone.make_naive(value)
        return value


class EventForm(forms.Form):
    title = forms.CharField(max_length=Event._meta.get_field("title").max_length)
    kind = forms.ChoiceField(choices=Event.Kind.choices, label="Kind of event")
    starts_at = LocalDateTimeField(label="Starts")
    ends_at = LocalDateTimeField(label="Ends")
    timezone = forms.ChoiceField(
        choices=_time_zone_choices,
        label="Time zone",
        help_text="Start and end are wall-clock times in this zone.",
    )
    place = forms.CharField(
        required=False,
        max_length=Event._meta.get_field("place").max_length,
        help_text="An address or a room. Give a place, an online link, or both.",
    )
    online_url = forms.CharField(
        required=False,
        max_length=Event._meta.get_field("online_url").max_length,
        label="Online link",
        help_text="https://… Only members see it.",
        widget=forms.URLInput,
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=CAPACITY_MAX,
        help_text="Places for people going. Empty: no limit. When full, a waiting list opens.",
    )
    description = forms.CharField(
        required=False,
        max_length=Event._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown: **bold**, lists, links.",
    )

    @classmethod
    def for_event(cls, event: Event) -> "EventForm":
        zone = ZoneInfo(event.timezone)
        return cls(
            initial={
                "title": event.title,
                "kind": event.kind,
                "starts_at": event.starts_at.astimezone(zone).replace(tzinfo=None),
                "ends_at": event.ends_at.astimezone(zone).replace(tzinfo=None),
                "timezone": event.timezone,
                "place": event.place,
                "online_url": event.online_url,
                "capacity": event.capacity,
                "description": event.description,
            }
        )

    def clean(self):
        data = super().clean()
        zone_name = data.get("timezone")
        if zone_name:
            zone = ZoneInfo(zone_name)
            for name in ("starts_at", "ends_at"):
                if data.get(name) is not None:
                    data[name] = data[name].replace(tzinfo=zone)
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class RSVPForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[
            (RSVP.Answer.GOING, "Going"),
            (RSVP.Answer.MAYBE, "Maybe"),
            (RSVP.Answer.NOT_GOING, "Not going"),
        ]
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Why? (sent to everyone who answered going or maybe)",
    )


class AttendanceForm(forms.Form):
    attendees = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who attended",
    )
    others = forms.CharField(
        required=False,
        max_length=2000,
        label="Other members who came without answering",
        help_text="Usernames, separated by commas.",
    )

    def __init__(self, *args, rsvps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = [(r.user_id, display_name(r.user)) for r in rsvps]

    def other_usernames(self) -> list[str]:
        raw = self.cleaned_data.get("others") or ""
        return [name.strip().lstrip("@") for name in raw.split(",") if name.strip()]
