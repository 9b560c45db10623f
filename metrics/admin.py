"""Read-only admin for stored metrics: runs write them, people only look (and may request one)."""

from django.contrib import admin, messages

from core.admin_base import ReadOnlyAdmin
from metrics.models import MemberMetrics, MetricsSnapshot, MetricsState, TieStrength
from metrics.pipeline import schedule


@admin.register(MetricsState)
class MetricsStateAdmin(ReadOnlyAdmin):
    list_display = [
        "community",
        "pending_since",
        "started_at",
        "finished_at",
        "interactions_watermark",
        "ties_as_of",
        "last_full_at",
        "has_error",
    ]
    list_select_related = ["community"]
    search_fields = ["community__name", "community__slug"]
    actions = ["request_recompute"]

    @admin.display(boolean=True, description="Last run failed")
    def has_error(self, obj):
        return bool(obj.last_error)

    @admin.action(description="Request a recompute of the selected communities")
    def request_recompute(self, request, queryset):
        enqueued = sum(
            schedule.metrics_request(community_id=cid)
            for cid in queryset.values_list("community_id", flat=True)
        )
        self.message_user(
            request,
            f"Requested {queryset.count()} recompute(s); {enqueued} newly enqueued "
            "(the others were already pending).",
            messages.SUCCESS,
        )


@admin.register(MetricsSnapshot)
class MetricsSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["community", "as_of", "computed_at", "duration_ms", "betweenness_exact"]
    list_filter = ["betweenness_exact", "community"]
    list_select_related = ["community"]
    date_hierarchy = "as_of"
    ordering = ["-as_of"]


@admin.register(MemberMetrics)
class MemberMetricsAdmin(ReadOnlyAdmin):
    list_display = ["user", "snapshot", "level", "trajectory", "degree", "betweenness"]
    list_filter = ["level", "trajectory"]
    list_select_related = ["user", "snapshot__community"]
    search_fields = ["user__username"]
    raw_id_fields = ["user", "snapshot"]


@admin.register(TieStrength)
class TieStrengthAdmin(ReadOnlyAdmin):
    list_display = ["community", "user_a", "user_b", "score", "tie_class", "last_at"]
    list_filter = ["tie_class", "community"]
    list_select_related = ["community", "user_a", "user_b"]
    search_fields = ["user_a__username", "user_b__username"]
    raw_id_fields = ["user_a", "user_b"]
    ordering = ["-score"]
