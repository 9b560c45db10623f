"""Attach, download and remove files. A download is always an attachment that cannot run in
Practica's origin: ``Content-Disposition: attachment``, ``nosniff``, a sandboxing CSP."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_service_error
from knowledge import permissions
from knowledge.forms.items import AttachmentForm
from knowledge.services import attachments as services
from knowledge.views.items import item_response

# Even if a browser ignored Content-Disposition, the file could run nothing and load nothing.
SANDBOX_CSP = "sandbox; default-src 'none'"


@login_required
@require_POST
def attachment_add_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    permissions.require_can_attach_files(user=request.user, item=item)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                item=item, by=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Attached “{attachment.original_name}”.")
            return redirect(f"{item.get_absolute_url()}#attachments")
    return item_response(request, item, status=400, attachment_form=form)


@require_GET
def attachment_view(request, slug, item_id, attachment_id):
    attachment = permissions.access_attachment(
        user=request.user, slug=slug, item_id=item_id, attachment_id=attachment_id
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Files of private communities must not sit in shared caches.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def attachment_remove_view(request, slug, item_id, attachment_id):
    attachment = permissions.access_attachment(
        user=request.user, slug=slug, item_id=item_id, attachment_id=attachment_id
    )
    services.attachment_remove(attachment=attachment, by=request.user)
    messages.success(request, f"Removed “{attachment.original_name}”.")
    return redirect(f"{attachment.item.get_absolute_url()}#attachments")
