"""Practice URLs, one module per concern; all under the ``practice`` namespace."""

from practice.urls import drafts, events, follows, moderation, threads

app_name = "practice"

urlpatterns = (
    threads.urlpatterns
    + follows.urlpatterns
    + events.urlpatterns
    + moderation.urlpatterns
    + drafts.urlpatterns
)
