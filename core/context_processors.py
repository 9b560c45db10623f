from django.conf import settings


def site(request):
    return {"SITE_NAME": "Practica", "DEBUG": settings.DEBUG}
