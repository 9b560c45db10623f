"""The project's URLs plus ``/bench/trivial/``, the baseline every page is compared with."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def trivial_view(request):
    """The least a Django view can do: the same middleware, no queries, no template."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial_view, name="bench_trivial"), *project_urlpatterns]
