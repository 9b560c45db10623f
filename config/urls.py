from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api.v1.api import api as api_v1
from core.views import health_view

# The admin logs in through allauth's login page, so allauth's rate limits guard it too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Practica administration"
admin.site.site_title = "Practica admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("health/", health_view, name="health"),
    path("api/v1/", api_v1.urls),
    path("", include("api.urls")),
    path("", include("practice.urls")),
    path("", include("notifications.urls")),
    path("", include("knowledge.urls")),
    path("", include("search.urls")),
    path("", include("metrics.urls")),
    path("", include("communities.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
