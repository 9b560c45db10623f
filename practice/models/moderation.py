from django.conf import settings
from django.db import models

from communities.models import Community


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        RUDE = "rude", "Rude or abusive"
        OFF_TOPIC = "off_topic", "Off topic"
        UNSAFE = "unsafe", "Unsafe advice"
        PRIVACY = "privacy", "Shares private information"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        HIDDEN = "hidden", "Content hidden"
        DISMISSED = "dismissed", "Dismissed"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey("practice.Thread", on_delete=models.CASCADE, related_name="flags")
    post = models.ForeignKey(
        "practice.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["community", "resolved_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "thread", "post"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_flag_per_reporter",
            )
        ]

    def __str__(self):
        return f"Flag {self.reason} on {self.post_id or self.thread_id}"


class ModerationAction(models.Model):
    """The audit log: every moderator action, who, what, when and why."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hid"
        RESTORE = "restore", "Restored"
        LOCK = "lock", "Locked"
        UNLOCK = "unlock", "Unlocked"
        MOVE = "move", "Moved"
        DISMISS_FLAG = "dismiss_flag", "Dismissed a flag"
        ACCEPT = "accept", "Accepted an answer"
        EDIT = "edit", "Edited"
        EVENT = "event", "Changed an event"
        ATTENDANCE = "attendance", "Recorded attendance"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=14, choices=Action.choices)
    thread = models.ForeignKey(
        "practice.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        "practice.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["community", "-created_at"])]

    def __str__(self):
        return self.summary
