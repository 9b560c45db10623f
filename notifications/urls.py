"""Notifications in the app, email settings and unsubscribe links."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list_view, name="notifications"),
    path(
        "notifications/<int:notification_id>/open/",
        views.notification_open_view,
        name="notification_open",
    ),
    path(
        "notifications/read-all/", views.notifications_read_all_view, name="notifications_read_all"
    ),
    path("notifications/settings/", views.notification_settings_view, name="notification_settings"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
