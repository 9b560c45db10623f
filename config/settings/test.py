"""Settings for the test suite: hermetic, fast, and the same engine choice as the environment."""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests choose the broker explicitly; by default tasks run in-process, like the embedded default.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Staff accounts in tests sign in without a second factor; tests/accounts turns the rule on.
PRACTICA_REQUIRE_STAFF_MFA = False
# Webhook tests run their receiver on loopback; production refuses private addresses.
PRACTICA_WEBHOOKS_ALLOW_PRIVATE = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING["root"]["level"] = "WARNING"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared in-memory database: there, concurrent connections fail with
    # "database table is locked" at once (shared-cache table locks ignore the busy timeout), so
    # the concurrency tests could not show what a real SQLite file does. One file per run, so
    # parallel runs in one checkout do not share it; Django deletes it at the end. Durability
    # is no concern for a test database: skip the fsyncs.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"practica-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF;"
