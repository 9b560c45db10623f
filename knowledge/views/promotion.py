"""Promote to the repertoire: a prefilled proposal from a thread or a post (moderators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from core.forms import add_service_error
from knowledge import permissions
from knowledge.forms.promotion import PromotionForm, new_submission_key
from knowledge.selectors.promotion import items_from_thread
from knowledge.services import promotion as services
from practice import permissions as practice_permissions


def _promote(request, source, target):
    permissions.require_can_promote(user=request.user, source=target)
    status = 200
    if request.method == "POST":
        form = PromotionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.item_promote(
                    source=source,
                    by=request.user,
                    kind=data["kind"],
                    title=data["title"],
                    summary=data["summary"],
                    body=data["body"],
                    tag_names=data["tags"],
                    submission_key=data["submission_key"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    "Proposed for the library, with credit to the discussion's authors. "
                    "Edit it if needed, then publish it.",
                )
                return redirect(item)
        status = 400
    else:
        draft = services.promotion_draft(source=source)
        form = PromotionForm(
            initial={
                "kind": draft.kind,
                "title": draft.title,
                "summary": draft.summary,
                "body": draft.body,
                "tags": ", ".join(draft.tag_names),
                "submission_key": new_submission_key(),
            }
        )
    thread = source.thread
    context = {
        "community": thread.community,
        "can_view": True,
        "can_moderate": True,
        "active_tab": "threads",
        "thread": thread,
        "source": source,
        "form": form,
        "existing": items_from_thread(user=request.user, thread=thread),
    }
    return render(request, "knowledge/promote.html", context, status=status)


@login_required
def promote_thread_view(request, slug, thread_id):
    thread = practice_permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    return _promote(request, services.promotion_source(thread=thread), thread)


@login_required
def promote_post_view(request, slug, post_id):
    post = practice_permissions.access_post(user=request.user, slug=slug, post_id=post_id)
    thread = post.thread
    source = services.promotion_source(thread=thread, post=post)
    return _promote(request, source, post)
