from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("c/<slug:slug>/dashboard/", views.dashboard_view, name="dashboard"),
    path("c/<slug:slug>/dashboard/network/", views.network_view, name="network"),
    path("c/<slug:slug>/dashboard/members/", views.members_view, name="members"),
    path("c/<slug:slug>/dashboard/me/", views.my_network_view, name="my_network"),
    path("c/<slug:slug>/dashboard/recompute/", views.recompute_view, name="recompute"),
    path("c/<slug:slug>/dashboard/export.json", views.export_json_view, name="export_json"),
    path(
        "c/<slug:slug>/dashboard/export.graphml", views.export_graphml_view, name="export_graphml"
    ),
    path("c/<slug:slug>/dashboard/edges.csv", views.export_csv_view, name="export_csv"),
]
