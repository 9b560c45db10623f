"""Drafts of new threads and replies."""

from django.urls import path

from practice.views import drafts as views

urlpatterns = [
    path("c/<slug:slug>/drafts/save/", views.draft_save_view, name="draft_save"),
    path("c/<slug:slug>/drafts/discard/", views.draft_discard_view, name="draft_discard"),
]
