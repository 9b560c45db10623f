from django.conf import settings
from django.db import models


class SecurityEvent(models.Model):
    """One thing that happened to a member's sign-in: shown to them on their security page."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_SET = "password_set", "Password set"
        PASSWORD_RESET = "password_reset", "Password reset by email link"
        EMAIL_ADDED = "email_added", "Email address added"
        EMAIL_CHANGED = "email_changed", "Primary email address changed"
        EMAIL_REMOVED = "email_removed", "Email address removed"
        MFA_ADDED = "mfa_added", "Two-factor method added"
        MFA_REMOVED = "mfa_removed", "Two-factor method removed"
        MFA_RESET = "mfa_reset", "Recovery codes regenerated"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        CLOSURE_REQUESTED = "closure_requested", "Account closed"
        CLOSURE_CANCELLED = "closure_cancelled", "Account reopened"
        SSO_LINKED = "sso_linked", "Single sign-on linked"
        SSO_UNLINKED = "sso_unlinked", "Single sign-on removed"
        # The member's choice whether dashboards name them, dated: when consent was given or
        # withdrawn (communities.services.profile_update).
        NAMING_CHANGED = "naming_changed", "Dashboard naming changed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_events"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What the event was about, in words safe to show the member (a method's name, a token's
    # label); never a secret.
    detail = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="accounts_event_user_at")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.user_id}, {self.at:%Y-%m-%d %H:%M})"


class DataExport(models.Model):
    """A member's request for their data, and the archive a task prepares for them."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The archive's name in the export storage (accounts.storage): no URL, served by the view.
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "-requested_at"], name="accounts_export_user")]

    def __str__(self):
        return f"Export {self.pk} for {self.user_id} ({self.status})"


class AccountClosure(models.Model):
    """A member's decision to leave: their account is closed at once and their identity erased
    after the grace period, unless they take it back first."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="closure"
    )
    requested_at = models.DateTimeField()
    erase_at = models.DateTimeField()
    # Their posts: kept and shown as "A former member"'s, or removed.
    remove_posts = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["erase_at"], name="accounts_closure_due")]

    def __str__(self):
        return f"Closure of {self.user_id} ({self.requested_at:%Y-%m-%d})"


class PrivacyNotice(models.Model):
    """The site's privacy page, written by its admins (one row; the newest is shown)."""

    title = models.CharField(max_length=200, default="Privacy")
    body = models.TextField(
        help_text="Markdown. Who runs this site, what it records, what the dashboards compute, "
        "how long data is kept, and whom to write to."
    )
    body_html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return f"{self.title} ({self.updated_at:%Y-%m-%d})"
