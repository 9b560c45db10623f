from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from communities.permissions import is_admin
from core.admin_base import ReadOnlyAdmin
from importers.models import ImportRun, SourceRecord
from importers.services import placeholder_map


class MapPersonForm(forms.Form):
    username = forms.CharField(
        label="Member's username", max_length=150, help_text="The account that takes the posts."
    )

    def clean_username(self):
        user = get_user_model().objects.filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise ValidationError("There is no account with this username.")
        return user


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
    actions = ["map_to_account"]

    @admin.action(description="Hand the selected person to a member's account…")
    def map_to_account(self, request, queryset):
        if not is_admin(request.user):
            self.message_user(request, "Only site admins hand people over.", messages.ERROR)
            return None
        people = list(queryset.filter(kind=SourceRecord.Kind.PERSON)[:2])
        if len(people) != 1:
            self.message_user(request, "Choose exactly one person record.", messages.ERROR)
            return None
        record = people[0]
        form = MapPersonForm(request.POST if request.POST.get("confirm") else None)
        if form.is_valid():
            try:
                moved = placeholder_map(
                    community=record.community,
                    site=record.site,
                    person=record.source_id,
                    to_user=form.cleaned_data["username"],
                )
            except ValidationError as exc:
                form.add_error("username", exc)
            else:
                self.message_user(request, f"{moved:,} posts handed over.", messages.SUCCESS)
                return None
        context = {**self.admin_site.each_context(request), "form": form, "record": record}
        return TemplateResponse(request, "admin/importers/map_person.html", context)
