from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("data/", views.your_data, name="your_data"),
    path("data/<int:export_id>/download/", views.data_export_download, name="data_export_download"),
]
