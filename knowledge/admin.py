"""The repertoire in the Django admin: for looking things up; every write goes through the
services (revisions, curation history, the interaction log and the search index depend on it).

Items are read-only here, with actions that call the curation services; revisions, change
proposals, curation events and evidence cannot be changed at all. Attachments show a link to
the permission-checked download view: stored files have no public address.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html

from communities import permissions
from core.admin_base import ReadOnlyAdmin
from knowledge.models import (
    ChangeProposal,
    CurationEvent,
    Evidence,
    Item,
    ItemAttachment,
    ItemContributor,
    ItemLink,
    ItemRevision,
    RepertoireTag,
)
from knowledge.services import curation


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContributorInline(_ReadOnlyInline):
    model = ItemContributor
    fields = readonly_fields = ["user", "role", "added_at"]


class LinkInline(_ReadOnlyInline):
    model = ItemLink
    fields = readonly_fields = ["position", "url", "label"]


class AttachmentInline(_ReadOnlyInline):
    model = ItemAttachment
    # Not "file": the admin would ask the storage for a URL, and attachments have none.
    fields = readonly_fields = ["download", "content_type", "size", "uploaded_by", "uploaded_at"]

    @admin.display(description="File")
    def download(self, obj):
        url = reverse("knowledge:attachment", args=[obj.item.community.slug, obj.item_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class RevisionInline(_ReadOnlyInline):
    model = ItemRevision
    fields = readonly_fields = ["number", "editor", "created_at", "title", "comment"]


class EventInline(_ReadOnlyInline):
    model = CurationEvent
    fields = readonly_fields = ["created_at", "action", "actor", "comment"]


def _curation_action(service, done: str, description: str):
    def action(modeladmin, request, queryset):
        changed = 0
        for item in queryset.select_related("community"):
            try:
                service(item=item, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                modeladmin.message_user(
                    request, f"“{item}”: {' '.join(getattr(error, 'messages', [str(error)]))}",
                    messages.WARNING,
                )  # fmt: skip
            else:
                changed += 1
        modeladmin.message_user(request, f"{changed} item(s) {done}.", messages.SUCCESS)

    action.__name__ = f"{service.__name__}_action"
    action.short_description = description
    return action


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = [
        "title", "community", "kind", "state", "is_featured", "proposed_by", "used_count",
        "failed_count", "updated_at",
    ]  # fmt: skip
    list_filter = ["state", "kind", "is_featured", "community"]
    search_fields = ["title", "summary", "proposed_by__username", "community__name"]
    list_select_related = ["community", "proposed_by"]
    date_hierarchy = "created_at"
    inlines = [ContributorInline, LinkInline, AttachmentInline, RevisionInline, EventInline]
    fields = readonly_fields = [
        "community", "kind", "title", "summary", "body", "state", "is_featured", "featured_at",
        "superseded_by", "proposed_by", "source_thread", "source_post", "created_at",
        "updated_at", "published_at", "last_reviewed_at", "archived_at", "revision_count",
        "worked_count", "partly_count", "failed_count", "used_count",
    ]  # fmt: skip
    actions = [
        _curation_action(curation.item_publish, "published", "Publish the selected items"),
        _curation_action(curation.item_feature, "featured", "Feature the selected items"),
        _curation_action(curation.item_unfeature, "no longer featured", "Stop featuring them"),
        _curation_action(curation.item_archive, "archived", "Archive the selected items"),
        _curation_action(curation.item_unarchive, "brought back", "Bring them back"),
        _curation_action(curation.item_mark_reviewed, "marked reviewed", "Mark them reviewed"),
    ]

    def has_view_permission(self, request, obj=None):
        # Site admins curate every community; other staff need the model's view permission.
        return permissions.is_admin(request.user) or super().has_view_permission(request, obj)

    def get_actions(self, request):
        # Bulk deletion is not offered: archive instead (it keeps the history).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(ChangeProposal)
class ChangeProposalAdmin(ReadOnlyAdmin):
    list_display = ["item", "proposed_by", "state", "created_at", "decided_by", "decided_at"]
    list_filter = ["state"]
    search_fields = ["item__title", "proposed_by__username"]
    list_select_related = ["item", "proposed_by", "decided_by"]


@admin.register(CurationEvent)
class CurationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "action", "actor"]
    list_filter = ["action"]
    search_fields = ["item__title", "actor__username", "comment"]
    list_select_related = ["item", "actor"]
    date_hierarchy = "created_at"


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["item", "member", "outcome", "updated_at"]
    list_filter = ["outcome"]
    search_fields = ["item__title", "member__username", "note"]
    list_select_related = ["item", "member"]


@admin.register(RepertoireTag)
class RepertoireTagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
