"""Event pages, RSVPs, attendance and calendar files. Views are thin: the gatekeeper, one
service call, then render or redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from communities import permissions as community_permissions
from core.forms import add_service_error
from core.pagination import paginate
from practice import ical, permissions
from practice.forms.events import AttendanceForm, CancelForm, EventForm, RSVPForm
from practice.selectors import events as selectors
from practice.services import events as services


def _context(request, community, **extra) -> dict:
    return {
        "community": community,
        "can_view": True,
        "can_moderate": community_permissions.can_moderate(request.user, community),
        "can_manage_events": permissions.can_manage_events(request.user, community),
        "active_tab": "events",
        **extra,
    }


def _feed_urls(request, community) -> dict:
    """The community's calendar URLs this viewer may use."""
    urls = {}
    if community.visibility != community.Visibility.PRIVATE:
        urls["public"] = request.build_absolute_uri(
            reverse("practice:events_feed", args=[community.slug])
        )
    if request.user.is_authenticated and community_permissions.can_post(request.user, community):
        token = permissions.event_feed_token(user=request.user, community=community)
        urls["personal"] = request.build_absolute_uri(
            reverse("practice:events_feed_private", args=[community.slug, token])
        )
    return urls


def events_list_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    upcoming = list(selectors.upcoming_events(user=request.user, community=community)[:100])
    past = paginate(request, selectors.past_events(user=request.user, community=community))
    context = _context(
        request, community, upcoming=upcoming, page=past, feeds=_feed_urls(request, community)
    )
    return render(request, "practice/events/list.html", context)


def _detail_context(request, event, **forms) -> dict:
    community = event.community
    user = request.user
    my_rsvp = selectors.rsvp_of(event=event, user=user)
    can_attendance = permissions.can_record_attendance(user, event)
    rsvps = (
        list(selectors.event_rsvps(event=event))
        if permissions.can_manage_events(user, community)
        else []
    )
    if can_attendance and "attendance_form" not in forms:
        forms["attendance_form"] = AttendanceForm(
            rsvps=rsvps, initial={"attendees": [r.user_id for r in rsvps if r.attended]}
        )
    return _context(
        request,
        community,
        event=event,
        counts=selectors.event_counts(event=event),
        my_rsvp=my_rsvp,
        waitlist_position=selectors.waitlist_position(rsvp=my_rsvp),
        can_rsvp=permissions.can_rsvp_now(user, event),
        can_see_link=permissions.can_see_event_link(user, community),
        can_record_attendance=can_attendance,
        is_over=event.ends_at <= timezone.now(),
        has_started=event.starts_at <= timezone.now(),
        rsvps=rsvps,
        cancel_form=forms.pop("cancel_form", CancelForm()),
        **forms,
    )


def event_detail_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    return render(request, "practice/events/detail.html", _detail_context(request, event))


@login_required
def event_create_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    permissions.require_can_manage_events(user=request.user, community=community)
    form = EventForm(request.POST or None, initial={"timezone": "UTC"})
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                community=community, by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The event is published.")
            return redirect(event)
    status = 400 if form.is_bound else 200
    return render(
        request, "practice/events/form.html", _context(request, community, form=form), status=status
    )


@login_required
def event_edit_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    permissions.require_can_manage_events(user=request.user, community=event.community)
    form = EventForm(request.POST) if request.method == "POST" else EventForm.for_event(event)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_update(event=event, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The event is updated; people who answered are told.")
            return redirect(event)
    context = _context(request, event.community, form=form, event=event)
    return render(
        request, "practice/events/form.html", context, status=400 if form.is_bound else 200
    )


@login_required
@require_POST
def event_cancel_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    permissions.require_can_manage_events(user=request.user, community=event.community)
    form = CancelForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, event, cancel_form=form)
        return render(request, "practice/events/detail.html", context, status=400)
    services.event_cancel(event=event, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "The event is cancelled; people who answered are told.")
    return redirect(event)


@login_required
@require_POST
def rsvp_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    form = RSVPForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose going, maybe or not going.")
        return redirect(event)
    try:
        rsvp = services.rsvp_set(event=event, user=request.user, answer=form.cleaned_data["answer"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if rsvp.answer == rsvp.Answer.WAITLIST:
            messages.warning(request, "The event is full: you are on the waiting list.")
        else:
            messages.success(request, f"Your answer: {rsvp.get_answer_display().lower()}.")
    return redirect(event)


@login_required
@require_POST
def attendance_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    permissions.require_can_record_attendance(user=request.user, event=event)
    rsvps = list(selectors.event_rsvps(event=event))
    form = AttendanceForm(request.POST, rsvps=rsvps)
    if form.is_valid():
        ids = set(form.cleaned_data["attendees"])
        names = form.other_usernames()
        found = selectors.active_members_by_username(community=event.community, usernames=names)
        missing = [n for n in names if n.lower() not in found]
        if missing:
            form.add_error("others", f"Not members of this community: {', '.join(missing)}.")
        else:
            try:
                count = services.attendance_record(
                    event=event, by=request.user, attendee_ids=ids | set(found.values())
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"Attendance recorded: {count} people came.")
                return redirect(event)
    context = _detail_context(request, event, attendance_form=form)
    return render(request, "practice/events/detail.html", context, status=400)


# --- calendars ---------------------------------------------------------------------------------


def _ics_response(request, events, *, name, user, community, filename=None) -> HttpResponse:
    options = ical.FeedOptions(
        url_for=lambda e: request.build_absolute_uri(e.get_absolute_url()),
        show_online_link=permissions.can_see_event_link(user, community),
        now=timezone.now(),
    )
    body = ical.calendar(events, name=name, options=options)
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


def event_ics_view(request, slug, event_id):
    event = permissions.access_event(user=request.user, slug=slug, event_id=event_id)
    return _ics_response(
        request,
        [event],
        name=f"{event.community.name}: {event.title}",
        user=request.user,
        community=event.community,
        filename=f"event-{event.pk}.ics",
    )


def events_feed_view(request, slug):
    community = community_permissions.access_community_content(user=request.user, slug=slug)
    events = selectors.feed_events(community=community)
    return _ics_response(
        request, events, name=f"{community.name} events", user=request.user, community=community
    )


def events_feed_private_view(request, slug, token):
    community, user = permissions.access_event_feed(slug=slug, token=token)
    events = selectors.feed_events(community=community)
    return _ics_response(
        request, events, name=f"{community.name} events", user=user, community=community
    )
