from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_view, name="search"),
    path("c/<slug:slug>/similar-threads/", views.similar_threads_view, name="similar_threads"),
]
