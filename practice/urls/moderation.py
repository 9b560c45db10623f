"""Flags, the moderation queue, moderator actions on threads and posts, and the audit log."""

from django.urls import path

from practice.views import moderation as views

urlpatterns = [
    path("c/<slug:slug>/t/<int:thread_id>/flag/", views.flag_thread_view, name="flag_thread"),
    path("c/<slug:slug>/p/<int:post_id>/flag/", views.flag_post_view, name="flag_post"),
    path("c/<slug:slug>/t/<int:thread_id>/lock/", views.thread_lock_view, name="thread_lock"),
    path("c/<slug:slug>/t/<int:thread_id>/unlock/", views.thread_unlock_view, name="thread_unlock"),
    path("c/<slug:slug>/t/<int:thread_id>/move/", views.thread_move_view, name="thread_move"),
    path("c/<slug:slug>/moderation/", views.queue_view, name="moderation_queue"),
    path("c/<slug:slug>/moderation/log/", views.log_view, name="moderation_log"),
    path(
        "c/<slug:slug>/moderation/p/<int:post_id>/hide/",
        views.content_hide_view,
        name="content_hide",
    ),
    path(
        "c/<slug:slug>/moderation/p/<int:post_id>/restore/",
        views.content_restore_view,
        name="content_restore",
    ),
    path(
        "c/<slug:slug>/moderation/t/<int:thread_id>/dismiss/",
        views.thread_flags_dismiss_view,
        name="thread_flags_dismiss",
    ),
    path(
        "c/<slug:slug>/moderation/p/<int:post_id>/dismiss/",
        views.post_flags_dismiss_view,
        name="post_flags_dismiss",
    ),
]
