from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("privacy/", views.privacy, name="privacy"),
    path("data/", views.your_data, name="your_data"),
    path("data/<int:export_id>/download/", views.data_export_download, name="data_export_download"),
    path("close/", views.close_account, name="close"),
    path("closed/", views.account_closed, name="closed"),
    path("close/undo/<str:token>/", views.close_undo, name="close_undo"),
]
