"""Moderators' one-click curation on an item page, and the archive form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_error
from knowledge import permissions
from knowledge.forms.items import ArchiveForm, RequestChangesForm
from knowledge.models import Item
from knowledge.services import curation as services
from knowledge.views.items import item_response
from knowledge.views.library import library_context

ONE_CLICK = {
    "publish": (services.item_publish, "Published: the item is in the library."),
    "feature": (services.item_feature, "Featured at the top of the library."),
    "unfeature": (services.item_unfeature, "No longer featured."),
    "unarchive": (services.item_unarchive, "Brought back from the archive."),
    "review": (services.item_mark_reviewed, "Marked as reviewed today."),
}


def _curated_item(request, slug, item_id) -> Item:
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    permissions.require_can_curate(user=request.user, community=item.community)
    return item


@login_required
@require_POST
def item_curate_view(request, slug, item_id, action):
    item = _curated_item(request, slug, item_id)
    service, done = ONE_CLICK[action]
    try:
        service(item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(item)


@login_required
@require_POST
def item_request_changes_view(request, slug, item_id):
    item = _curated_item(request, slug, item_id)
    form = RequestChangesForm(request.POST)
    if form.is_valid():
        try:
            services.item_request_changes(
                item=item, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Sent back to the proposer with your comment.")
            return redirect(item)
    return item_response(request, item, status=400, request_changes_form=form)


@login_required
def item_archive_view(request, slug, item_id):
    item = _curated_item(request, slug, item_id)
    replacements = (
        permissions.items_visible_to(request.user, item.community)
        .filter(state=Item.State.PUBLISHED)
        .exclude(pk=item.pk)
        .order_by("title", "pk")
    )
    status = 200
    if request.method == "POST":
        form = ArchiveForm(request.POST, replacements=replacements)
        if form.is_valid():
            try:
                services.item_archive(
                    item=item,
                    by=request.user,
                    comment=form.cleaned_data["comment"],
                    superseded_by=form.cleaned_data["superseded_by"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Archived: the item is no longer in the library.")
                return redirect(item)
        status = 400
    else:
        form = ArchiveForm(replacements=replacements)
    context = library_context(request, item.community, item=item, form=form)
    return render(request, "knowledge/archive.html", context, status=status)
