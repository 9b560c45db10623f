from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("settings/tokens/", views.token_settings_view, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
]
