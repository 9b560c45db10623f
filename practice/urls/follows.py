"""Following communities and tags."""

from django.urls import path

from practice.views import follows as views

urlpatterns = [
    path("c/<slug:slug>/follow/", views.community_follow_view, name="community_follow"),
    path("c/<slug:slug>/tags/<path:tag>/follow/", views.tag_follow_view, name="tag_follow"),
]
