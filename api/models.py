from django.conf import settings
from django.db import models


class AccessToken(models.Model):
    """A member's personal access token. Only the SHA-256 of the secret is kept: the token is
    shown once, at creation; ``prefix`` names it in lists and logs without opening anything."""

    class Scope(models.TextChoices):
        READ = "read", "Read what you can read on the site"
        WRITE = "write", "Post, vote, accept answers, join and leave"
        MODERATE = "moderate", "Moderator actions in communities you moderate"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=80)
    # The public part of the token ("pra_<prefix>_<secret>"): unique, shown in lists.
    prefix = models.CharField(max_length=16, unique=True)
    # sha256 hex of the whole token: the secret has 256 bits of entropy, so a fast hash is
    # enough (no password hashing), and the lookup is one indexed equality.
    token_hash = models.CharField(max_length=64, unique=True)
    # Space-separated Scope values, validated by the service.
    scopes = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_created")]

    def __str__(self):
        return f"{self.name} (pra_{self.prefix}…)"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class WebhookEndpoint(models.Model):
    """A URL a community's moderator registered to hear of the community's events.

    The secret signs each delivery (HMAC-SHA256); it must be readable to sign, so it is kept as
    is, shown to the moderator once, and never put in a page, a log or an export afterwards.
    """

    class Event(models.TextChoices):
        THREAD_CREATED = "thread.created", "A thread is started"
        ANSWER_POSTED = "answer.posted", "An answer is posted"
        ANSWER_ACCEPTED = "answer.accepted", "An answer is accepted"
        ITEM_PUBLISHED = "item.published", "A library item is published"
        MEMBER_JOINED = "member.joined", "A member joins"

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    # Whose rights the deliveries carry: checked again at each delivery.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=100, blank=True)
    # Space-separated Event values, validated by the service.
    events = models.CharField(max_length=200)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    # Deliveries in a row that failed every attempt; reset by a success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "is_active"], name="api_webhook_community_active"),
            models.Index(fields=["is_active"], name="api_webhook_active"),
        ]

    def __str__(self):
        return f"{self.url} ({self.community_id})"

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until it succeeds, fails every attempt or is skipped."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=20, choices=WebhookEndpoint.Event.choices)
    # What the event is about, unique per endpoint and event ("thread:12", "join:40"): the
    # same change seen twice makes one delivery.
    subject = models.CharField(max_length=80)
    object_id = models.PositiveBigIntegerField()
    # The X-Practica-Delivery header: receivers drop an id they have seen (replays).
    uuid = models.UUIDField(unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event", "subject"], name="api_webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="api_webhook_delivery_recent"),
            # The sweep of deliveries whose message was lost.
            models.Index(fields=["state", "created_at"], name="api_webhook_delivery_state"),
        ]

    def __str__(self):
        return f"{self.event} {self.subject} → {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the delivery log's lines."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="api_webhook_attempt_once")
        ]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"
