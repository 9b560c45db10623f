from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.urls import reverse
from django.utils.timezone import now  # Event has a field named timezone

from communities.models import Community


class Event(models.Model):
    class Kind(models.TextChoices):
        MEETUP = "meetup", "Meetup"
        PRACTICE_SESSION = "practice", "Practice session"
        WEBINAR = "webinar", "Webinar"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MEETUP)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=20000, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC")
    place = models.CharField(max_length=300, blank=True)
    online_url = models.URLField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the services (``at=``, or now); not auto_now(_add), which would overrule them.
    created_at = models.DateTimeField(default=now, editable=False, blank=True)
    updated_at = models.DateTimeField(default=now, editable=False, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change, so calendar clients pick up edits (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # Notices about this event (notifications' generic target): no column, but Django's delete
    # (services, admin, a community's cascade) removes them with it, as a foreign key's
    # CASCADE did. Practice names notifications here, never the other way round.
    notices = GenericRelation(
        "notifications.Notification", content_type_field="target_type", object_id_field="target_id"
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["community", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("practice:event", args=[self.community.slug, self.pk])


class RSVP(models.Model):
    class Answer(models.TextChoices):
        GOING = "going", "Going"
        MAYBE = "maybe", "Maybe"
        NOT_GOING = "not_going", "Not going"
        WAITLIST = "waitlist", "On the waiting list"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices)
    attended = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="one_rsvp")]
        indexes = [models.Index(fields=["event", "answer", "updated_at"])]

    def __str__(self):
        return f"{self.user_id} {self.answer} {self.event_id}"
