"""Flags, the moderation queue, moderator actions and the audit log. Views are thin: the
gatekeeper, one service call, then render or redirect back with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from communities import permissions as community_permissions
from communities import selectors as community_selectors
from core.pagination import paginate, querystring_without_page
from practice import permissions
from practice.forms.moderation import ActionForm, FlagForm, LogFilterForm, MoveForm
from practice.selectors import moderation as selectors
from practice.services import moderation as services
from practice.services import threads as thread_services

QUEUE_PAGE_SIZE = 20
LOG_PAGE_SIZE = 50


def _header(community, active_tab: str) -> dict:
    return {"community": community, "can_view": True, "active_tab": active_tab}


def _next_url(request, default: str) -> str:
    """Where to go after an action: a safe ``next`` from the form, else *default*."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _queue_url(community) -> str:
    return reverse("practice:moderation_queue", args=[community.slug])


def _access_post(request, slug, post_id):
    post = permissions.access_post(user=request.user, slug=slug, post_id=post_id)
    post.community = post.thread.community  # already loaded: spares a query per check
    return post


# --- flags -------------------------------------------------------------------------------------


def _flag(request, *, thread, post):
    permissions.require_can_flag(user=request.user, community=thread.community)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.flag_create(
            reporter=request.user,
            thread=thread,
            post=post,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, "Thank you. The moderators will take a look.")
        return redirect(post.get_absolute_url() if post is not None else thread.get_absolute_url())
    context = {
        **_header(thread.community, "threads"),
        "can_moderate": community_permissions.can_moderate(request.user, thread.community),
        "form": form,
        "thread": thread,
        "post": post,
    }
    return render(
        request, "practice/moderation/flag.html", context, status=400 if form.errors else 200
    )


@login_required
def flag_thread_view(request, slug, thread_id):
    thread = permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    return _flag(request, thread=thread, post=None)


@login_required
def flag_post_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    return _flag(request, thread=post.thread, post=post)


# --- the queue and the log ---------------------------------------------------------------------


@login_required
def queue_view(request, slug):
    community = community_permissions.access_community_moderation(user=request.user, slug=slug)
    page = paginate(
        request, selectors.open_flag_groups(community=community), per_page=QUEUE_PAGE_SIZE
    )
    context = {
        **_header(community, "moderation"),
        "can_moderate": True,
        "page": page,
        "groups": selectors.flag_groups_for(community=community, rows=page.object_list),
        "qs": querystring_without_page(request),
        "hidden_posts": selectors.hidden_posts(community=community),
        "hidden_count": selectors.hidden_post_count(community=community),
        # Join requests are decided on communities' requests page; the queue only counts them.
        "pending_count": community_selectors.pending_requests(community=community).count(),
        "move_targets": [
            c for c in selectors.move_targets(user=request.user) if c.pk != community.pk
        ],
        "reason_max_length": ActionForm.base_fields["reason"].max_length,
    }
    return render(request, "practice/moderation/queue.html", context)


@login_required
def log_view(request, slug):
    community = community_permissions.access_community_moderation(user=request.user, slug=slug)
    form = LogFilterForm(request.GET)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    page = paginate(
        request, selectors.audit_log(community=community, action=action), per_page=LOG_PAGE_SIZE
    )
    context = {
        **_header(community, "moderation_log"),
        "can_moderate": True,
        "form": form,
        "action": action,
        "page": page,
        "qs": querystring_without_page(request),
    }
    return render(request, "practice/moderation/log.html", context)


# --- actions -----------------------------------------------------------------------------------
# Each action is a POST with an optional reason; a GET shows the same form on its own page, and
# an invalid POST shows it again with the errors and the typed text (400).


def _action(request, *, community, form, title: str, button: str, intro: str, thread, post=None):
    """Render the confirmation page of an action (GET, or a POST whose form is invalid)."""
    context = {
        **_header(community, "moderation"),
        "can_moderate": community_permissions.can_moderate(request.user, community),
        "form": form,
        "title": title,
        "button": button,
        "intro": intro,
        "thread": thread,
        "post": post,
        "next": _next_url(request, ""),
    }
    return render(
        request, "practice/moderation/action.html", context, status=400 if form.errors else 200
    )


def _thread_for_moderation(request, slug, thread_id):
    thread = permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    community_permissions.require_can_moderate(user=request.user, community=thread.community)
    return thread


def _lock(request, slug, thread_id, *, locked: bool):
    thread = _thread_for_moderation(request, slug, thread_id)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        thread = services.thread_set_locked(
            thread=thread, by=request.user, locked=locked, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"“{thread.title}” is locked: only moderators can post in it."
            if locked
            else f"“{thread.title}” is unlocked: members can post in it again.",
        )
        return redirect(_next_url(request, thread.get_absolute_url()))
    return _action(
        request,
        community=thread.community,
        form=form,
        thread=thread,
        title=f"{'Lock' if locked else 'Unlock'} “{thread.title}”",
        button="Lock the thread" if locked else "Unlock the thread",
        intro=(
            "A locked thread stays readable; only moderators can post in it."
            if locked
            else "Members will be able to post in this thread again."
        ),
    )


@login_required
def thread_lock_view(request, slug, thread_id):
    return _lock(request, slug, thread_id, locked=True)


@login_required
def thread_unlock_view(request, slug, thread_id):
    return _lock(request, slug, thread_id, locked=False)


@login_required
def thread_move_view(request, slug, thread_id):
    thread = _thread_for_moderation(request, slug, thread_id)
    targets = [c for c in selectors.move_targets(user=request.user) if c.pk != thread.community_id]
    form = MoveForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        thread = services.thread_move(
            thread=thread,
            to_community=form.cleaned_data["to"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, f"“{thread.title}” moved to {thread.community.name}.")
        return redirect(_next_url(request, thread.get_absolute_url()))
    return _action(
        request,
        community=thread.community,
        form=form,
        thread=thread,
        title=f"Move “{thread.title}”",
        button="Move the thread",
        intro=(
            "The thread, its posts, votes and flags move to the community you choose. "
            "You can move threads only to communities you moderate."
            if targets
            else "You moderate no other community, so there is nowhere to move this thread."
        ),
    )


@login_required
def content_hide_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    community = post.community
    permissions.require_can_hide_content(user=request.user, post=post)
    is_moderator = community_permissions.can_moderate(request.user, community)
    form = ActionForm(request.POST or None)
    what = "thread" if post.is_opening else "post"
    if request.method == "POST" and form.is_valid():
        services.content_hide(post=post, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"The {what} is hidden and its flags are closed.")
        default = _queue_url(community) if is_moderator else community.get_absolute_url()
        return redirect(_next_url(request, default))
    return _action(
        request,
        community=community,
        form=form,
        thread=post.thread,
        post=post,
        title=f"Hide this {what}",
        button=f"Hide the {what}",
        intro=(
            f"Hidden content is kept: moderators can still read and restore it. "
            f"Open flags about this {what} are closed."
        ),
    )


@login_required
def content_restore_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    community = post.community
    permissions.require_can_restore(user=request.user, community=community)
    form = ActionForm(request.POST or None)
    what = "thread" if post.is_opening else "post"
    if request.method == "POST" and form.is_valid():
        thread_services.post_restore(post=post, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"The {what} is visible again.")
        return redirect(_next_url(request, _queue_url(community)))
    return _action(
        request,
        community=community,
        form=form,
        thread=post.thread,
        post=post,
        title=f"Restore this {what}",
        button=f"Restore the {what}",
        intro=f"Members will see this {what} again.",
    )


def _dismiss(request, *, thread, post):
    community = thread.community
    community_permissions.require_can_moderate(user=request.user, community=community)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        count = services.content_flags_dismiss(
            thread=thread, post=post, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"{count} flag{'s' if count != 1 else ''} dismissed."
            if count
            else "There was no open flag left to dismiss.",
        )
        return redirect(_next_url(request, _queue_url(community)))
    return _action(
        request,
        community=community,
        form=form,
        thread=thread,
        post=post,
        title="Dismiss the flags",
        button="Dismiss the flags",
        intro="The content stays as it is; the flags about it are closed.",
    )


@login_required
def thread_flags_dismiss_view(request, slug, thread_id):
    thread = _thread_for_moderation(request, slug, thread_id)
    return _dismiss(request, thread=thread, post=None)


@login_required
def post_flags_dismiss_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    return _dismiss(request, thread=post.thread, post=post)
