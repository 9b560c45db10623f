"""Practice URLs, one module per concern; all under the ``practice`` namespace."""

from practice.urls import events, moderation, notifications, threads

app_name = "practice"

urlpatterns = (
    threads.urlpatterns + notifications.urlpatterns + events.urlpatterns + moderation.urlpatterns
)
