from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("settings/tokens/", views.token_settings_view, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("c/<slug:slug>/moderate/webhooks/", views.webhooks_view, name="webhooks"),
    path(
        "c/<slug:slug>/moderate/webhooks/<int:endpoint_id>/",
        views.webhook_detail_view,
        name="webhook",
    ),
    path(
        "c/<slug:slug>/moderate/webhooks/<int:endpoint_id>/delete/",
        views.webhook_delete_view,
        name="webhook_delete",
    ),
    path(
        "c/<slug:slug>/moderate/webhooks/<int:endpoint_id>/enable/",
        views.webhook_enable_view,
        name="webhook_enable",
    ),
]
