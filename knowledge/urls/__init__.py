from knowledge.urls import items, practice

app_name = "knowledge"

urlpatterns = items.urlpatterns + practice.urlpatterns
