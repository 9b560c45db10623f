"""The practice models in the Django admin: for looking things up and fixing metadata.

Content is written on the site through the services (revisions, counters, the interaction log and
the moderation log depend on it), so bodies, counters and derived fields are read-only here, and
the moderation log cannot be changed at all.
"""

from django.contrib import admin
from django.utils import timezone

from core.admin_base import ReadOnlyAdmin
from practice.models import (
    RSVP,
    AdoptionReport,
    Event,
    Flag,
    Follow,
    ModerationAction,
    Post,
    PostRevision,
    Thread,
    ThreadTag,
    Vote,
)


class NoAddAdmin(admin.ModelAdmin):
    """Created on the site through the services only; the admin corrects metadata."""

    def has_add_permission(self, request, obj=None):
        return False


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    fields = ["number", "editor", "created_at", "title", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(NoAddAdmin):
    list_display = [
        "title",
        "community",
        "kind",
        "status",
        "author",
        "answer_count",
        "helpful_count",
        "created_at",
        "last_activity_at",
    ]
    list_filter = ["kind", "status", "is_locked", "is_hidden", "community"]
    search_fields = ["title", "author__username", "community__name"]
    list_select_related = ["community", "author"]
    date_hierarchy = "created_at"
    raw_id_fields = ["author", "opening_post", "accepted_post"]
    readonly_fields = [
        "community",
        "status",
        "is_locked",
        "is_hidden",
        "opening_post",
        "accepted_post",
        "accepted_at",
        "reply_count",
        "answer_count",
        "helpful_count",
        "created_at",
        "last_activity_at",
    ]


@admin.register(Post)
class PostAdmin(NoAddAdmin):
    list_display = [
        "pk",
        "thread",
        "community",
        "author",
        "is_opening",
        "is_answer",
        "is_hidden",
        "helpful_count",
        "created_at",
    ]
    list_filter = ["is_opening", "is_answer", "is_hidden", "community"]
    search_fields = ["body", "author__username", "thread__title"]
    list_select_related = ["thread", "community", "author"]
    date_hierarchy = "created_at"
    raw_id_fields = ["thread", "author", "reply_to", "hidden_by"]
    readonly_fields = [
        "thread",
        "community",
        "author",
        "reply_to",
        "is_opening",
        "is_answer",
        "body",
        "body_html",
        "created_at",
        "edited_at",
        "is_hidden",
        "hidden_at",
        "hidden_by",
        "helpful_count",
        "worked_count",
        "did_not_work_count",
        "submission_key",
    ]
    inlines = [PostRevisionInline]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["post", "voter", "created_at"]
    search_fields = ["voter__username"]
    list_select_related = ["post", "voter"]


@admin.register(AdoptionReport)
class AdoptionReportAdmin(ReadOnlyAdmin):
    list_display = ["post", "member", "worked", "note", "updated_at"]
    list_filter = ["worked"]
    search_fields = ["member__username", "note"]
    list_select_related = ["post", "member"]


@admin.register(ThreadTag)
class ThreadTagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["user", "target", "community", "thread", "tag", "created_at"]
    list_filter = ["target", "community"]
    search_fields = ["user__username", "thread__title", "tag__name"]
    list_select_related = ["user", "community", "thread", "tag"]
    raw_id_fields = ["user", "thread", "tag"]


class RSVPInline(admin.TabularInline):
    model = RSVP
    extra = 0
    fields = ["user", "answer", "attended", "updated_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(NoAddAdmin):
    list_display = ["title", "community", "kind", "starts_at", "capacity", "cancelled_at"]
    list_filter = ["kind", "community"]
    search_fields = ["title", "place", "community__name"]
    list_select_related = ["community"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "community",
        "description_html",
        "created_by",
        "created_at",
        "updated_at",
        "cancelled_at",
        "attendance_recorded_at",
        "sequence",
    ]
    inlines = [RSVPInline]

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()  # the services set it on every change, so does the admin
        super().save_model(request, obj, form, change)


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "community",
        "thread",
        "post",
        "reason",
        "reporter",
        "created_at",
        "resolution",
        "resolved_by",
    ]
    list_filter = ["reason", "resolution", ("resolved_at", admin.EmptyFieldListFilter), "community"]
    search_fields = ["note", "reporter__username", "thread__title"]
    list_select_related = ["community", "thread", "post", "reporter", "resolved_by"]
    date_hierarchy = "created_at"


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The audit log: who did what, when and why. Nobody edits or deletes it."""

    list_display = ["created_at", "community", "moderator", "action", "summary", "reason"]
    list_filter = ["action", "community"]
    search_fields = ["summary", "reason", "moderator__username"]
    list_select_related = ["community", "moderator"]
    date_hierarchy = "created_at"
