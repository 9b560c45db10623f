"""One item: its page, proposing, editing, proposing a change, history, diffs, restoring."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from communities import permissions as community_permissions
from core.forms import add_service_error
from knowledge import permissions
from knowledge.forms.items import (
    AttachmentForm,
    CommentForm,
    ItemForm,
    RequestChangesForm,
    format_links,
    new_submission_key,
)
from knowledge.models import Item
from knowledge.selectors import items as selectors
from knowledge.selectors.evidence import item_evidence
from knowledge.selectors.library import library_tags
from knowledge.services import items as services
from knowledge.services import revisions as revision_services
from knowledge.views.library import library_context

# Tag names offered as suggestions on the item form.
TAG_SUGGESTIONS = 60


def item_response(request, item, *, status=200, **forms):
    """Render the item page; *forms* carry bound forms with errors back to it."""
    page = selectors.item_page(user=request.user, item=item)
    context = library_context(
        request,
        item.community,
        item=item,
        page=page,
        evidence=item_evidence(user=request.user, item=item),
        request_changes_form=forms.get("request_changes_form") or RequestChangesForm(),
        attachment_form=forms.get("attachment_form") or AttachmentForm(),
        attachment_limit=settings.KNOWLEDGE_ATTACHMENT_MAX_BYTES,
        attachment_types=", ".join(sorted(settings.KNOWLEDGE_ATTACHMENT_TYPES)),
    )
    return render(request, "knowledge/item.html", context, status=status)


def item_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    return item_response(request, item)


def _form_context(request, community, form, **extra) -> dict:
    return library_context(
        request,
        community,
        form=form,
        tag_names=[t.name for t in library_tags(community=community, limit=TAG_SUGGESTIONS)],
        **extra,
    )


def _initial_from(obj, tag_names) -> dict:
    return {
        "kind": obj.kind,
        "title": obj.title,
        "summary": obj.summary,
        "body": obj.body,
        "tags": ", ".join(tag_names),
    }


@login_required
def item_new_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    permissions.require_can_propose_item(user=request.user, community=community)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, mode="propose")
        if form.is_valid():
            try:
                item = services.item_propose(
                    community=community,
                    by=request.user,
                    links=form.cleaned_data["links"],
                    submission_key=form.cleaned_data["submission_key"],
                    **form.content(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    "Your proposal is saved. A moderator will publish it or ask for changes; "
                    "you can follow it under “My proposals”.",
                )
                return redirect(item)
        status = 400
    else:
        kind = request.GET.get("kind")
        form = ItemForm(
            mode="propose",
            initial={
                "submission_key": new_submission_key(),
                "kind": kind if kind in Item.Kind.values else "",
            },
        )
    context = _form_context(request, community, form, mode="propose")
    return render(request, "knowledge/item_form.html", context, status=status)


@login_required
def item_edit_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    if not permissions.can_edit_item(request.user, item):
        if permissions.can_propose_change(request.user, item):
            return redirect("knowledge:change_new", slug=slug, item_id=item.pk)
        permissions.require_can_edit_item(user=request.user, item=item)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, mode="edit")
        if form.is_valid():
            try:
                services.item_edit(
                    item=item,
                    by=request.user,
                    links=form.cleaned_data["links"],
                    comment=form.cleaned_data["comment"],
                    **form.content(),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Saved. The earlier version is kept in the history.")
                return redirect(item)
        status = 400
    else:
        initial = _initial_from(item, sorted(item.tags.names()))
        initial["links"] = format_links(item.links.values_list("url", "label"))
        form = ItemForm(mode="edit", initial=initial)
    context = _form_context(request, item.community, form, mode="edit", item=item)
    return render(request, "knowledge/item_form.html", context, status=status)


# --- change proposals --------------------------------------------------------------------------


@login_required
def change_new_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    if not permissions.can_propose_change(request.user, item):
        if permissions.can_edit_item(request.user, item):
            return redirect("knowledge:item_edit", slug=slug, item_id=item.pk)
        permissions.require_can_propose_change(user=request.user, item=item)
    page = selectors.item_page(user=request.user, item=item)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, mode="change")
        if form.is_valid():
            try:
                proposal = services.change_propose(
                    item=item, by=request.user, note=form.cleaned_data["note"], **form.content()
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request, "Your change is proposed. A moderator will look at it soon."
                )
                return redirect(
                    "knowledge:change", slug=slug, item_id=item.pk, proposal_id=proposal.pk
                )
        status = 400
    elif page.my_change is not None:
        form = ItemForm(
            mode="change",
            initial=_initial_from(page.my_change, page.my_change.tag_names)
            | {"note": page.my_change.note},
        )
    else:
        form = ItemForm(mode="change", initial=_initial_from(item, page.tags))
    context = _form_context(
        request, item.community, form, mode="change", item=item, my_change=page.my_change
    )
    return render(request, "knowledge/item_form.html", context, status=status)


def _change_response(request, proposal, *, status=200, form=None):
    item = proposal.item
    context = library_context(
        request,
        item.community,
        item=item,
        proposal=proposal,
        diff=selectors.change_proposal_diff(proposal=proposal),
        can_curate=permissions.can_curate(request.user, item.community),
        can_edit_proposal=permissions.can_edit_change_proposal(request.user, proposal),
        comment_form=form or CommentForm(),
    )
    return render(request, "knowledge/change.html", context, status=status)


@login_required
def change_view(request, slug, item_id, proposal_id):
    proposal = permissions.access_change_proposal(
        user=request.user, slug=slug, item_id=item_id, proposal_id=proposal_id
    )
    return _change_response(request, proposal)


CHANGE_DECISIONS = {
    "accept": (services.change_accept, "The change is applied as a new revision."),
    "decline": (services.change_decline, "The change is declined."),
    "request_changes": (services.change_request_changes, "Sent back to the proposer."),
}


@login_required
@require_POST
def change_decide_view(request, slug, item_id, proposal_id, decision):
    proposal = permissions.access_change_proposal(
        user=request.user, slug=slug, item_id=item_id, proposal_id=proposal_id
    )
    if decision == "withdraw":
        services.change_withdraw(proposal=proposal, by=request.user)
        messages.success(request, "Your change proposal is withdrawn.")
        return redirect(proposal.item)
    service, done = CHANGE_DECISIONS[decision]
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _change_response(request, proposal, status=400, form=form)
    try:
        service(proposal=proposal, by=request.user, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        add_service_error(form, error)
        return _change_response(request, proposal, status=400, form=form)
    messages.success(request, done)
    if decision == "accept":
        return redirect(proposal.item)
    return redirect("knowledge:change", slug=slug, item_id=item_id, proposal_id=proposal_id)


# --- history, diffs, restore -------------------------------------------------------------------


def item_history_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    context = library_context(
        request,
        item.community,
        item=item,
        entries=selectors.item_history(item=item),
        events=selectors.item_events(user=request.user, item=item),
        can_curate=permissions.can_curate(request.user, item.community),
    )
    return render(request, "knowledge/history.html", context)


def item_diff_view(request, slug, item_id):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    before, after = selectors.revision_pair(
        item=item, number_from=request.GET.get("from"), number_to=request.GET.get("to")
    )
    if before is None or after is None:
        raise Http404("No such revision.")
    context = library_context(
        request,
        item.community,
        item=item,
        before=before,
        after=after,
        diff=selectors.diff_versions(before, after),
        can_curate=permissions.can_curate(request.user, item.community),
    )
    return render(request, "knowledge/diff.html", context)


@login_required
@require_POST
def revision_restore_view(request, slug, item_id, number):
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    permissions.require_can_curate(user=request.user, community=item.community)
    revision = selectors.access_revision(item=item, number=number)
    if revision is None:
        raise Http404("No such revision.")
    revision.item = item
    revision_services.revision_restore(revision=revision, by=request.user)
    messages.success(request, f"Revision {revision.number} is the current version again.")
    return redirect(item)
