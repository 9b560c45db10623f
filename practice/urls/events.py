"""Event URLs: lists, pages, RSVPs, attendance, and iCalendar files and feeds."""

from django.urls import path

from practice.views import events as views

urlpatterns = [
    path("c/<slug:slug>/events/", views.events_list_view, name="events"),
    path("c/<slug:slug>/events.ics", views.events_feed_view, name="events_feed"),
    path(
        "c/<slug:slug>/events/feed/<str:token>.ics",
        views.events_feed_private_view,
        name="events_feed_private",
    ),
    path("c/<slug:slug>/events/new/", views.event_create_view, name="event_create"),
    path("c/<slug:slug>/events/<int:event_id>/", views.event_detail_view, name="event"),
    path("c/<slug:slug>/events/<int:event_id>.ics", views.event_ics_view, name="event_ics"),
    path("c/<slug:slug>/events/<int:event_id>/edit/", views.event_edit_view, name="event_edit"),
    path(
        "c/<slug:slug>/events/<int:event_id>/cancel/", views.event_cancel_view, name="event_cancel"
    ),
    path("c/<slug:slug>/events/<int:event_id>/rsvp/", views.rsvp_view, name="event_rsvp"),
    path(
        "c/<slug:slug>/events/<int:event_id>/attendance/",
        views.attendance_view,
        name="event_attendance",
    ),
]
