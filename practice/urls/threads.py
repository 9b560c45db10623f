"""Threads and posts: lists, the thread page, actions on posts, history, activity and feeds."""

from django.urls import path

from practice.feeds import CommunityThreadsFeed
from practice.views import threads as views

urlpatterns = [
    path("c/<slug:slug>/threads/", views.thread_list_view, name="thread_list"),
    path("c/<slug:slug>/unanswered/", views.unanswered_view, name="unanswered"),
    path("c/<slug:slug>/threads/new/", views.thread_new_view, name="thread_new"),
    path("c/<slug:slug>/t/<int:thread_id>/", views.thread_view, name="thread"),
    path("c/<slug:slug>/t/<int:thread_id>/reply/", views.post_reply_view, name="post_reply"),
    path("c/<slug:slug>/t/<int:thread_id>/follow/", views.thread_follow_view, name="thread_follow"),
    path(
        "c/<slug:slug>/t/<int:thread_id>/unaccept/",
        views.thread_unaccept_view,
        name="thread_unaccept",
    ),
    path("c/<slug:slug>/p/<int:post_id>/", views.post_view, name="post"),
    path("c/<slug:slug>/p/<int:post_id>/edit/", views.post_edit_view, name="post_edit"),
    path("c/<slug:slug>/p/<int:post_id>/hide/", views.post_hide_view, name="post_hide"),
    path("c/<slug:slug>/p/<int:post_id>/restore/", views.post_restore_view, name="post_restore"),
    path("c/<slug:slug>/p/<int:post_id>/history/", views.post_history_view, name="post_history"),
    path("c/<slug:slug>/p/<int:post_id>/vote/", views.post_vote_view, name="post_vote"),
    path("c/<slug:slug>/p/<int:post_id>/accept/", views.post_accept_view, name="post_accept"),
    path("c/<slug:slug>/p/<int:post_id>/adoption/", views.post_adoption_view, name="post_adoption"),
    path("c/<slug:slug>/feed/", CommunityThreadsFeed(), name="feed"),
    path("c/<slug:slug>/tags/<path:tag>/feed/", CommunityThreadsFeed(), name="tag_feed"),
    path("practice/preview/", views.preview_view, name="preview"),
    path("u/<str:username>/activity/", views.member_activity_view, name="member_activity"),
]
