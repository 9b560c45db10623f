from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from communities.models import Community
from communities.permissions import is_admin
from core.admin_base import ReadOnlyAdmin
from importers.models import ImportRun, Source, SourceRecord
from importers.services import placeholder_map
from importers.uploads import (
    import_run_requeue,
    import_upload_queue,
    max_upload_bytes,
    upload_check,
)


class MapPersonForm(forms.Form):
    username = forms.CharField(
        label="Member's username", max_length=150, help_text="The account that takes the posts."
    )

    def clean_username(self):
        user = get_user_model().objects.filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise ValidationError("There is no account with this username.")
        return user


class ImportUploadForm(forms.Form):
    community = forms.ModelChoiceField(
        queryset=Community.objects.order_by("name"), help_text="Where the history goes."
    )
    source = forms.ChoiceField(
        label="Kind of file",
        choices=[("", "Tell by the file"), *Source.choices],
        required=False,
        help_text="A zip is taken for a Stack Exchange dump, anything else for an mbox.",
    )
    site = forms.CharField(
        label="Site or list name",
        max_length=200,
        required=False,
        help_text="Shown on each imported thread, e.g. cooking.stackexchange.com or cooks "
        "(default: the file's name).",
    )
    upload = forms.FileField(label="File to import")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = max_upload_bytes() / 1024 / 1024
        self.fields["upload"].help_text = (
            "A zip of one Stack Exchange site's dump (its Posts.xml and the other XML files), "
            f"or an mbox (gzipped or not); at most {limit:,.0f} MB."
        )

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is not None:
            try:
                data["source"] = upload_check(upload=upload, source=data.get("source") or "")
            except ValidationError as exc:
                self.add_error("upload", exc)
        return data


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Each run: its status and progress, what it counted, and every line of its report; and
    the page that uploads a file to import."""

    list_display = [
        "started_at", "source", "site", "community", "status", "progress", "finished_at",
    ]  # fmt: skip
    list_filter = ["status", "source"]
    search_fields = ["site", "community__name"]
    list_select_related = ["community"]
    fields = [
        "source",
        "site",
        "community",
        "path",
        "started_by",
        "status",
        "progress",
        "started_at",
        "finished_at",
        "counts",
        "report",
        "error",
    ]
    readonly_fields = ["progress"]
    actions = ["run_again"]
    change_list_template = "admin/importers/importrun/change_list.html"
    change_form_template = "admin/importers/importrun/change_form.html"

    @admin.display(description="Progress")
    def progress(self, run):
        """Threads done of the total, the rate and the time left (written every few dozen)."""
        if run.status == ImportRun.Status.QUEUED:
            return "Waiting for a worker."
        done, total = run.processed, run.total
        if total is None:
            return "Reading the file…" if run.status == ImportRun.Status.RUNNING else "—"
        share = f"{done:,} of {total:,} threads ({100 * done / total:.0f} %)" if total else "0"
        until = run.progress_at or run.finished_at or timezone.now()
        seconds = max((until - run.started_at).total_seconds(), 0.001)
        rate = done / seconds
        text = f"{share}, {rate:,.1f} threads/s"
        if run.status == ImportRun.Status.RUNNING and rate > 0 and total > done:
            text += f", about {(total - done) / rate / 60:,.0f} min left"
        return text

    @admin.action(description="Run the selected failed or stalled uploads again")
    def run_again(self, request, queryset):
        if not is_admin(request.user):
            self.message_user(request, "Only site admins start imports.", messages.ERROR)
            return
        queued = sum(import_run_requeue(run=run) for run in queryset[:50])
        self.message_user(
            request,
            f"{queued} run(s) queued again; they resume where they stopped. Runs that are done, "
            "still moving, or whose file is gone were left alone.",
            messages.INFO,
        )

    def get_urls(self):
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="importers_importrun_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        """Upload a file and queue its import (site admins only)."""
        if not is_admin(request.user):
            self.message_user(request, "Only site admins start imports.", messages.ERROR)
            return redirect("admin:importers_importrun_changelist")
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = import_upload_queue(
                    upload=data["upload"],
                    community=data["community"],
                    source=data["source"],
                    site=data["site"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error("upload", exc)
            else:
                self.message_user(
                    request, "The import is queued; this page shows its progress.", messages.INFO
                )
                return redirect(reverse("admin:importers_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Import a community's history",
        }
        return TemplateResponse(request, "admin/importers/importrun/upload.html", context)


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
