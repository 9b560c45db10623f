"""The member's data export (accounts.data_export): their notification settings."""

from accounts.data_export import rows
from notifications.models import DigestSubscription, NotificationPreference


def member_section(user) -> dict:
    return {
        "preferences": rows(NotificationPreference.objects.filter(user=user).order_by("pk")),
        "digest_subscriptions": rows(DigestSubscription.objects.filter(user=user).order_by("pk")),
    }
