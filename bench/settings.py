"""Settings for the benchmark server: the project's own, plus one trivial view to compare with."""

from config.settings.default import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The benchmark serves pages over plain HTTP on 127.0.0.1 and does not run collectstatic:
# plain static storage (no manifest lookups to fail) and no redirect to HTTPS.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
