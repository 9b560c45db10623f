"""Notifications, email settings, unsubscribe links, and following communities and tags."""

from django.urls import path

from practice.views import notifications as views

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
    path("c/<slug:slug>/follow/", views.community_follow_view, name="community_follow"),
    path("c/<slug:slug>/tags/<path:tag>/follow/", views.tag_follow_view, name="tag_follow"),
]
