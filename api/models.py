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
