"""In-app notifications, each member's email choice per kind, and weekly digest opt-ins.

The tables keep the names they had in ``practice`` (``Meta.db_table``): the models moved here
without moving their rows. What a notice is about is a generic ``target`` (a content type and an
id), so this app names no model of the apps above it; they declare a ``GenericRelation`` to
``Notification`` on their content, which makes Django's delete remove a notice with its content.
"""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from communities.models import Community


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "A reply or answer in a thread I follow"
        ACCEPTED = "accepted", "My answer was accepted"
        MENTION = "mention", "Someone mentioned me"
        MEMBERSHIP = "membership", "A decision on my membership"
        EVENT = "event", "An event I am going to changed"
        NEW_THREAD = "new_thread", "A new thread in a community or tag I follow"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    # What the notice is about (a post, a thread, an event; none for a membership decision).
    # The list shows ``text`` and opens ``url``, so nothing reads the target to render a notice;
    # it is there so the content's delete removes the notice (the GenericRelation on the
    # content's model) and a moved thread takes its notices along. No index of its own on
    # target_type: the (target_type, target_id) index below serves it.
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "practice_notification"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["emailed_at", "kind"]),
            models.Index(fields=["target_type", "target_id"], name="notification_target"),
        ]

    def __str__(self):
        return self.text


class NotificationPreference(models.Model):
    """How a member wants email for one kind of notification."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Immediately"
        DAILY = "daily", "In a daily digest"
        NEVER = "never", "Never"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        db_table = "practice_notificationpreference"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference")]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {self.delivery}"


def _new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


class DigestSubscription(models.Model):
    """A member's opt-in to a community's weekly digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "practice_digestsubscription"
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="one_digest_subscription")
        ]

    def __str__(self):
        return f"{self.user_id} ← weekly digest of {self.community_id}"
