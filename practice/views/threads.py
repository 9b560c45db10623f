"""Thread lists, the thread page and what members do on it. Views are thin: the gatekeeper,
one service call, then render or redirect."""

from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.views.decorators.http import require_POST

from communities import permissions as community_permissions
from communities.services import membership_seen
from core.forms import add_service_error
from core.pagination import paginate, querystring_without_page
from practice import fragments, permissions
from practice.forms.threads import (
    AdoptionForm,
    PostEditForm,
    PostForm,
    ReasonForm,
    ThreadFilterForm,
    ThreadForm,
    new_submission_key,
)
from practice.list_rows import filter_widgets_html, list_urls, thread_rows_html
from practice.models import Post, Thread
from practice.models.threads import BODY_MAX_LENGTH
from practice.selectors import drafts as draft_selectors
from practice.selectors import follows as follow_selectors
from practice.selectors import thread_list as list_selectors
from practice.selectors import threads as selectors
from practice.services import drafts, endorsements, follows
from practice.services import threads as services
from practice.services.content import render_body


def _community_context(request, community, **extra) -> dict:
    return {
        "community": community,
        "can_view": True,
        "can_moderate": community_permissions.can_moderate(request.user, community),
        "active_tab": "threads",
        **extra,
    }


# --- lists ---------------------------------------------------------------------------------


def thread_list_view(request, slug, unanswered_only=False):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    # Opening the thread list is a visit: "new since your last visit" on the front page restarts.
    membership_seen(membership=community_permissions.membership_of(request.user, community))
    form = ThreadFilterForm(request.GET)
    filters = form.filters()
    filter_names = (
        ("tag", "mine", "following")
        if unanswered_only
        else ("kind", "tag", "unanswered", "solved", "mine", "following")
    )
    is_filtered = any(filters.get(name) for name in filter_names)
    if unanswered_only:
        filters.update(unanswered=True, kind="question", solved=False)
    page = paginate(
        request, list_selectors.thread_list(user=request.user, community=community, **filters)
    )
    urls = list_urls(slug)
    thread_rows = thread_rows_html(
        list_selectors.thread_list_rows(page.object_list),
        thread_base=urls["thread_base"],
        profile_base=urls["profile_base"],
    )
    context = _community_context(
        request,
        community,
        form=form,
        filter_widgets=filter_widgets_html(form),
        filters=filters,
        unanswered_only=unanswered_only,
        page=page,
        thread_rows=thread_rows,
        urls=urls,
        qs=querystring_without_page(request),
        is_filtered=is_filtered,
        can_start=permissions.can_start_thread(request.user, community),
        can_join=community_permissions.can_join(request.user, community),
        can_request=community_permissions.can_request(request.user, community),
        # Feeds are read without a session: only what an anonymous visitor may read has one.
        has_feed=community_permissions.can_view_content(AnonymousUser(), community),
        tag_follow=(
            follow_selectors.tag_follow_box(user=request.user, community=community, name=tag)
            if (tag := filters.get("tag"))
            else None
        ),
        popular_tags=list_selectors.popular_tag_names(community=community),
        without_tag=_query_without(request, "tag"),
    )
    return render(request, "practice/threads/list.html", context)


def _query_without(request, name: str) -> str:
    """The list's query string without *name* (and the page): the tag chip's ✕ link."""
    params = request.GET.copy()
    params.pop(name, None)
    params.pop("page", None)
    return params.urlencode()


def unanswered_view(request, slug):
    return thread_list_view(request, slug, unanswered_only=True)


# --- a new thread --------------------------------------------------------------------------


def _tag_context(community) -> dict:
    return {"tag_names": selectors.community_tag_names(community=community)}


@login_required
def thread_new_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    community_permissions.require_can_post(user=request.user, community=community)
    status = 200
    if request.method == "POST":
        form = ThreadForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                thread = drafts.draft_publish(
                    user=request.user,
                    community=community,
                    create=lambda: services.thread_create(
                        community=community,
                        author=request.user,
                        kind=data["kind"],
                        title=data["title"],
                        body=data["body"],
                        tags=data["tags"],
                        submission_key=data["submission_key"],
                    ),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Your thread is up. You will hear about every reply.")
                return redirect(thread)
        status = 400
        draft = None
    else:
        kind = request.GET.get("kind")
        initial = {
            "submission_key": new_submission_key(),
            "kind": kind if kind in Thread.Kind.values else Thread.Kind.QUESTION,
        }
        draft = draft_selectors.reader_draft(user=request.user, community=community)
        if draft is not None:
            initial.update(title=draft.title, tags=draft.tags, body=draft.body)
        form = ThreadForm(initial=initial)
    context = _community_context(
        request, community, form=form, draft=draft, **_tag_context(community)
    )
    return render(request, "practice/threads/new.html", context, status=status)


# --- the thread page -----------------------------------------------------------------------


def _quote(post: Post) -> str:
    lines = post.body.strip().splitlines()[:6]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    return f"{quoted}\n\n"


def _reply_to(request, thread: Thread, page, wanted) -> Post | None:
    """The post a reply quotes: from the page when it is there, else looked up (another page)."""
    if not str(wanted).isdigit():
        return None
    wanted = int(wanted)
    post = next((i.post for i in page.posts if i.post.pk == wanted), None)
    return post or selectors.thread_post(user=request.user, thread=thread, post_id=wanted)


def _thread_response(request, thread: Thread, form=None, status: int = 200):
    page = selectors.thread_page(user=request.user, thread=thread, page=request.GET.get("page"))
    draft = reply_to = None
    if form is None:
        # The form, the draft and the quoted post show only to a reader who may reply; the
        # others (every anonymous reader) get the page without making them.
        if page.can_reply:
            initial = {"submission_key": new_submission_key()}
            reply_to = _reply_to(request, thread, page, request.GET.get("reply_to", ""))
            if reply_to is not None and reply_to.is_hidden:
                reply_to = None
            draft = draft_selectors.reader_draft(
                user=request.user, community=thread.community, thread=thread
            )
            if draft is not None:
                initial.update(body=draft.body)
            if reply_to is not None:
                initial.update(reply_to=reply_to.pk)
                if draft is None:
                    initial.update(body=_quote(reply_to))
            form = PostForm(initial=initial)
    else:
        reply_to = _reply_to(request, thread, page, form.data.get("reply_to", ""))
    urls = thread_urls(thread.community.slug, thread.pk)
    context = _community_context(
        request,
        thread.community,
        page=page,
        thread=thread,
        form=form,
        reply_to=reply_to,
        draft=draft,
        thread_urls=urls,
        post_base=urls["post_base"],
        profile_base=urls["profile_base"],
    )
    context.update(_posts_html(request, page, context))
    return render(request, "practice/threads/thread.html", context, status=status)


def _posts_html(request, page, context) -> dict:
    """The opening post's and the other posts' HTML: cached fragments, this reader's controls."""
    opening_html, posts_html = fragments.posts_html(
        page,
        request=request,
        post_base=context["post_base"],
        profile_base=context["profile_base"],
        unaccept_url=context["thread_urls"]["unaccept"],
        tools=fragments.post_tools(page.slots.get("post_tools"), request=request, context=context),
    )
    return {"opening_html": opening_html, "posts_html": posts_html}


@lru_cache(maxsize=4096)
def _thread_urls(slug: str, thread_id: int, script_prefix: str, urlconf) -> dict[str, str]:
    # reverse() reads the script prefix and the URLconf of the current thread: both are in the
    # key, so a change of either reverses anew.
    args = [slug, thread_id]
    return {
        "list": reverse("practice:thread_list", args=[slug]),
        "thread": reverse("practice:thread", args=args),
        "reply": reverse("practice:post_reply", args=args),
        "follow": reverse("practice:thread_follow", args=args),
        "flag": reverse("practice:flag_thread", args=args),
        "unaccept": reverse("practice:thread_unaccept", args=args),
        "draft_save": reverse("practice:draft_save", args=[slug]),
        # Per-post addresses are this prefix + id + action, not ~5 {% url %} tags per post
        # (the test suite checks they match the URLconf).
        "post_base": reverse("practice:post_edit", args=[slug, 0]).removesuffix("0/edit/"),
        "profile_base": _profile_base(),
    }


def thread_urls(slug: str, thread_id: int) -> dict[str, str]:
    """The addresses the thread page links to, reversed once per process for each thread
    rather than about ten times per request."""
    return _thread_urls(slug, thread_id, get_script_prefix(), get_urlconf())


def _profile_base() -> str:
    """The prefix of member profile addresses; the template appends the username with
    ``urlencode:"@+"``, which quotes it as reverse() does."""
    return reverse("communities:profile", args=["-"]).removesuffix("-/")


def thread_view(request, slug, thread_id):
    thread = permissions.access_thread(
        user=request.user, slug=slug, thread_id=thread_id, related=("community",)
    )
    return _thread_response(request, thread)


def post_view(request, slug, post_id):
    """A post's own address: the page of its thread where it is, at its anchor."""
    post = _access_post(request, slug, post_id)
    return redirect(selectors.post_page_url(user=request.user, post=post))


@login_required
@require_POST
def post_reply_view(request, slug, thread_id):
    thread = permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    form = PostForm(request.POST)
    if not form.is_valid():
        return _thread_response(request, thread, form=form, status=400)
    data = form.cleaned_data
    reply_to = None
    if data["reply_to"]:
        reply_to = Post.objects.filter(thread=thread, pk=data["reply_to"]).first()
        if reply_to is None:
            form.add_error(None, "The post you quoted is no longer there.")
            return _thread_response(request, thread, form=form, status=400)
    try:
        post = drafts.draft_publish(
            user=request.user,
            community=thread.community,
            thread=thread,
            create=lambda: services.post_create(
                thread=thread,
                author=request.user,
                body=data["body"],
                reply_to=reply_to,
                submission_key=data["submission_key"],
            ),
        )
    except PermissionDenied as error:
        form.add_error(None, str(error) or "You cannot post here.")
        return _thread_response(request, thread, form=form, status=403)
    except ValidationError as error:
        add_service_error(form, error)
        return _thread_response(request, thread, form=form, status=400)
    messages.success(
        request, "Your answer is posted." if post.is_answer else "Your reply is posted."
    )
    return redirect(selectors.post_page_url(user=request.user, post=post))


# --- editing, hiding, history --------------------------------------------------------------


def _access_post(request, slug, post_id) -> Post:
    post = permissions.access_post(user=request.user, slug=slug, post_id=post_id)
    post.community = post.thread.community  # already loaded: spares a query per check
    return post


@login_required
def post_edit_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    permissions.require_can_edit_post(user=request.user, post=post)
    thread = post.thread
    status = 200
    if request.method == "POST":
        form = PostEditForm(request.POST, is_opening=post.is_opening)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.post_edit(
                    post=post,
                    by=request.user,
                    body=data["body"],
                    title=data.get("title"),
                    tags=data.get("tags") if post.is_opening else None,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Your changes are saved; the earlier version is kept.")
                return redirect(post.get_absolute_url())
        status = 400
    else:
        initial = {"body": post.body}
        if post.is_opening:
            initial.update(title=thread.title, tags=", ".join(thread.tags.names()))
        form = PostEditForm(initial=initial, is_opening=post.is_opening)
    context = _community_context(
        request,
        thread.community,
        form=form,
        post=post,
        thread=thread,
        **_tag_context(thread.community),
    )
    return render(request, "practice/threads/edit.html", context, status=status)


@login_required
def post_hide_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    permissions.require_can_hide_post(user=request.user, post=post)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.post_hide(post=post, by=request.user, reason=form.cleaned_data["reason"])
        thread = post.thread
        messages.success(
            request, "The thread is hidden." if post.is_opening else "The post is hidden."
        )
        if community_permissions.can_moderate(request.user, thread.community):
            return redirect(post.get_absolute_url())
        if post.is_opening:
            return redirect("practice:thread_list", slug=thread.community.slug)
        return redirect(thread)
    context = _community_context(
        request,
        post.community,
        form=form,
        post=post,
        thread=post.thread,
        is_moderator_action=post.author_id != request.user.pk,
    )
    return render(
        request, "practice/threads/hide.html", context, status=400 if form.errors else 200
    )


@login_required
@require_POST
def post_restore_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.post_restore(post=post, by=request.user, reason=reason)
    messages.success(request, "The post is visible again.")
    return redirect(post.get_absolute_url())


def post_history_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    context = _community_context(
        request,
        post.community,
        post=post,
        thread=post.thread,
        versions=selectors.post_history(post=post),
    )
    return render(request, "practice/threads/history.html", context)


# --- endorsements and follows --------------------------------------------------------------


@login_required
@require_POST
def post_vote_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    helpful = request.POST.get("helpful")
    if helpful in ("0", "1"):
        endorsements.vote_set(post=post, voter=request.user, helpful=helpful == "1")
    else:
        endorsements.vote_toggle(post=post, voter=request.user)
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def post_accept_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    try:
        endorsements.answer_accept(answer=post, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Marked as the accepted answer; the question shows as solved.")
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def thread_unaccept_view(request, slug, thread_id):
    thread = permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    endorsements.answer_unaccept(thread=thread, by=request.user)
    messages.success(request, "No answer is accepted now; the question is open again.")
    return redirect(thread)


@login_required
@require_POST
def post_adoption_view(request, slug, post_id):
    post = _access_post(request, slug, post_id)
    permissions.require_adoption_target(post=post)
    if request.POST.get("withdraw"):
        endorsements.adoption_withdraw(post=post, member=request.user)
        messages.success(request, "Your report was taken back.")
        return redirect(post.get_absolute_url())
    form = AdoptionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(post.get_absolute_url())
    try:
        endorsements.adoption_report(
            post=post,
            member=request.user,
            worked=form.cleaned_data["worked"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Thank you: your experience helps the next person.")
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def thread_follow_view(request, slug, thread_id):
    thread = permissions.access_thread(user=request.user, slug=slug, thread_id=thread_id)
    permissions.require_can_follow_thread(user=request.user, thread=thread)
    if request.POST.get("follow") == "0":
        follows.thread_unfollow(user=request.user, thread=thread)
        messages.success(request, "You no longer follow this thread.")
    else:
        follows.thread_follow(user=request.user, thread=thread)
        messages.success(request, "You follow this thread: you will hear about new posts.")
    return redirect(thread)


# --- preview and activity ------------------------------------------------------------------


@login_required
@require_POST
def preview_view(request):
    """Return the sanitized HTML of the posted Markdown, for the live preview."""
    body = request.POST.get("body", "")
    if len(body) > BODY_MAX_LENGTH:
        return HttpResponseBadRequest(
            f"Too long to preview: the limit is {BODY_MAX_LENGTH:,} characters.",
            content_type="text/plain; charset=utf-8",
        )
    html, _ = render_body(body)
    return HttpResponse(html, content_type="text/html; charset=utf-8")


def member_activity_view(request, username):
    member = selectors.activity_member(username=username)
    if member is None:
        raise Http404("No such member.")
    show = request.GET.get("show", "all")
    show = show if show in ("all", "threads", "posts") else "all"
    posts = selectors.member_activity(viewer=request.user, member=member, show=show)
    context = {
        "person": member,
        "profile": getattr(member, "profile", None),
        "show": show,
        "page": paginate(request, posts),
        "qs": querystring_without_page(request),
        "profile_url": reverse("communities:profile", args=[member.username]),
    }
    return render(request, "practice/threads/activity.html", context)
