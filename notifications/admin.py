"""The notification models in the Django admin: notices are read-only (the services write them);
email choices and digest opt-ins can be corrected."""

from django.contrib import admin

from core.admin_base import ReadOnlyAdmin
from notifications.models import DigestSubscription, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "text", "community", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", "community"]
    search_fields = ["recipient__username", "text"]
    list_select_related = ["recipient", "community"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "created_at", "last_sent_at"]
    list_filter = ["community"]
    search_fields = ["user__username", "community__name"]
    raw_id_fields = ["user"]
