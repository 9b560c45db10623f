from django.contrib import admin

from accounts.models import PrivacyNotice, SecurityEvent
from accounts.services import privacy_notice_save


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "kind", "detail", "ip"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "at"
    # The log is what happened: nobody edits it.
    readonly_fields = ["user", "kind", "detail", "ip", "user_agent", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "updated_at"]
    fields = ["title", "body"]

    def save_model(self, request, obj, form, change):
        privacy_notice_save(notice=obj)
