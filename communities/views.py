from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from communities import permissions, selectors, services
from communities.forms import (
    BanForm,
    DecisionForm,
    DirectorySearchForm,
    InvitationForm,
    JoinRequestForm,
    MemberFilterForm,
    ProfileForm,
)
from communities.models import Invitation, display_name
from communities.panels import home_panels, welcome_panels
from core.pagination import paginate, querystring_without_page


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_error_messages(request, form, what_happened: str) -> None:
    errors = "; ".join(" ".join(errs) for errs in form.errors.values())
    messages.error(request, f"{what_happened}: {errors}")


def directory_view(request):
    form = DirectorySearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = paginate(request, selectors.community_directory(user=request.user, query=query))
    return render(
        request,
        "communities/directory.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "qs": querystring_without_page(request),
            "my_communities": selectors.my_communities(user=request.user),
        },
    )


def _community_home_context(request, community, request_form=None) -> dict:
    can_view = permissions.can_view_content(request.user, community)
    context = {
        "community": community,
        "membership": permissions.membership_of(request.user, community),
        "can_view": can_view,
        "can_join": permissions.can_join(request.user, community),
        "can_request": permissions.can_request(request.user, community),
        "can_leave": permissions.can_leave(request.user, community),
        "can_moderate": permissions.can_moderate(request.user, community),
        "request_form": request_form or JoinRequestForm(),
    }
    if can_view:
        context["moderators"] = selectors.community_moderators(community=community)
        context["member_count"] = selectors.community_member_count(community=community)
    context["home_panels"] = home_panels(user=request.user, community=community)
    membership = context["membership"]
    # The first visit after joining (by any road: join, invitation, approved request) welcomes.
    if membership is not None and membership.is_active and membership.last_seen_at is None:
        context["welcome"] = True
        context["welcome_panels"] = welcome_panels(user=request.user, community=community)
    return context


def community_home_view(request, slug):
    community = permissions.access_community(user=request.user, slug=slug)
    context = _community_home_context(request, community)
    services.membership_seen(membership=context["membership"])
    return render(request, "communities/home.html", context)


@login_required
@require_POST
def join_view(request, slug):
    community = permissions.access_community(user=request.user, slug=slug)
    services.membership_join(community=community, user=request.user)
    messages.success(request, f"Welcome to {community.name}.")
    return redirect(community)


@login_required
@require_POST
def request_view(request, slug):
    community = permissions.access_community(user=request.user, slug=slug)
    form = JoinRequestForm(request.POST)
    if not form.is_valid():
        context = _community_home_context(request, community, request_form=form)
        return render(request, "communities/home.html", context, status=400)
    services.membership_request(
        community=community, user=request.user, message=form.cleaned_data["message"]
    )
    messages.success(request, "Your request was sent. A moderator will decide soon.")
    return redirect(community)


@login_required
@require_POST
def leave_view(request, slug):
    community = permissions.access_community(user=request.user, slug=slug)
    try:
        services.membership_leave(community=community, user=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, f"You are no longer a member of {community.name}.")
    return redirect(community)


def members_view(request, slug):
    community = permissions.access_community_content(user=request.user, slug=slug)
    form = MemberFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    memberships = selectors.member_directory(
        user=request.user,
        community=community,
        tag=(filters.get("tag") or "").strip(),
        group=filters.get("group"),
        query=(filters.get("q") or "").strip(),
    )
    page = paginate(request, memberships, per_page=30)
    for membership in page.object_list:
        membership.community = community  # the same row: spares a query per check
        membership.viewer_can_ban = permissions.can_ban(request.user, membership)
    return render(
        request,
        "communities/members.html",
        {
            "community": community,
            "form": form,
            "page": page,
            "qs": querystring_without_page(request),
            "tags": selectors.community_expertise_tags(user=request.user, community=community),
            "can_moderate": permissions.can_moderate(request.user, community),
        },
    )


@login_required
def moderate_view(request, slug):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    return render(
        request,
        "communities/moderate.html",
        {
            "community": community,
            "pending": selectors.pending_requests(community=community),
            "invitations": selectors.open_invitations(community=community),
            "banned": selectors.banned_members(community=community),
            "events": selectors.recent_membership_events(community=community),
            "decision_form": DecisionForm(),
            "invitation_form": InvitationForm(
                initial={"max_uses": 1, "days": settings.PRACTICA_INVITATION_DAYS}
            ),
        },
    )


@login_required
@require_POST
def decide_view(request, slug, membership_id, decision):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    membership = permissions.access_membership_for_moderation(
        user=request.user, community=community, membership_id=membership_id
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_error_messages(request, form, "Nothing was decided")
        return redirect("communities:moderate", slug=community.slug)
    message = form.cleaned_data["message"]
    try:
        if decision == "approve":
            services.membership_approve(membership=membership, by=request.user, message=message)
            messages.success(request, f"{display_name(membership.user)} is now a member.")
        else:
            services.membership_decline(membership=membership, by=request.user, message=message)
            name = display_name(membership.user)
            messages.success(request, f"The request of {name} was declined.")
    except ValidationError as error:
        _error_messages(request, error)
    return redirect("communities:moderate", slug=community.slug)


@login_required
@require_POST
def ban_view(request, slug, membership_id):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    membership = permissions.access_membership_for_moderation(
        user=request.user, community=community, membership_id=membership_id
    )
    form = BanForm(request.POST)
    if not form.is_valid():
        _form_error_messages(request, form, "Nobody was banned")
        return redirect("communities:moderate", slug=community.slug)
    services.membership_ban(
        membership=membership, by=request.user, reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"{display_name(membership.user)} is banned from {community.name}.")
    return redirect("communities:moderate", slug=community.slug)


@login_required
@require_POST
def unban_view(request, slug, membership_id):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    membership = permissions.access_membership_for_moderation(
        user=request.user, community=community, membership_id=membership_id
    )
    services.membership_unban(membership=membership, by=request.user)
    messages.success(request, f"The ban on {display_name(membership.user)} was lifted.")
    return redirect("communities:moderate", slug=community.slug)


@login_required
@require_POST
def invitation_create_view(request, slug):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    form = InvitationForm(request.POST)
    if form.is_valid():
        invitation = services.invitation_create(
            community=community,
            by=request.user,
            note=form.cleaned_data["note"],
            max_uses=form.cleaned_data["max_uses"],
            days=form.cleaned_data["days"],
        )
        messages.success(
            request,
            "Invitation created. Copy the link below and send it to the person you invite.",
        )
        moderate_url = reverse("communities:moderate", args=[community.slug])
        return redirect(f"{moderate_url}#invitation-{invitation.pk}")
    errors = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
    messages.error(request, f"The invitation was not created: {errors}")
    return redirect("communities:moderate", slug=community.slug)


@login_required
@require_POST
def invitation_revoke_view(request, slug, invitation_id):
    community = permissions.access_community_moderation(user=request.user, slug=slug)
    invitation = get_object_or_404(Invitation, community=community, pk=invitation_id)
    services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, "The invitation was revoked; its link no longer works.")
    return redirect("communities:moderate", slug=community.slug)


def invitation_view(request, token):
    invitation = Invitation.objects.select_related("community").filter(token=token[:64]).first()
    if invitation is None:
        raise Http404("No such invitation.")
    usable = invitation.is_usable(timezone.now())
    if request.method == "POST":
        if not request.user.is_authenticated:
            login_url = resolve_url(settings.LOGIN_URL)
            return redirect(f"{login_url}?next={invitation.get_absolute_url()}")
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            _error_messages(request, error)
            return redirect(invitation)
        messages.success(request, f"Welcome to {invitation.community.name}.")
        return redirect(invitation.community)
    return render(
        request,
        "communities/invitation.html",
        {
            "invitation": invitation,
            "community": invitation.community,
            "usable": usable,
            "membership": permissions.membership_of(request.user, invitation.community),
        },
    )


def profile_view(request, username):
    context = selectors.profile_page(viewer=request.user, username=username)
    if context is None:
        raise Http404("No such member.")
    return render(request, "communities/profile.html", context)


@login_required
def profile_edit_view(request):
    profile = services.profile_for(request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            data = dict(form.cleaned_data)
            expertise = data.pop("expertise")
            services.profile_update(profile=profile, expertise=expertise, **data)
            messages.success(request, "Your profile was saved.")
            return redirect(profile)
    else:
        form = ProfileForm(
            instance=profile,
            initial={"expertise": ", ".join(t.name for t in profile.expertise.all())},
        )
    return render(request, "communities/profile_edit.html", {"form": form})
