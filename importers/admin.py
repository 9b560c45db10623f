from django.contrib import admin

from core.admin_base import ReadOnlyAdmin
from importers.models import ImportRun, SourceRecord


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Each run: its status, what it counted, and every line of its report."""

    list_display = ["started_at", "source", "site", "community", "status", "finished_at"]
    list_filter = ["status", "source"]
    search_fields = ["site", "community__name"]
    fields = [
        "source",
        "site",
        "community",
        "path",
        "started_by",
        "status",
        "started_at",
        "finished_at",
        "counts",
        "report",
        "error",
    ]


@admin.register(SourceRecord)
class SourceRecordAdmin(ReadOnlyAdmin):
    """What each source row became (people: the placeholder account to map)."""

    list_display = ["site", "kind", "source_id", "target_type", "target_id", "score", "community"]
    list_filter = ["source", "kind", "site"]
    search_fields = ["source_id", "site"]
    list_select_related = ["community", "target_type"]
