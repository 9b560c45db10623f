"""Settings read the environment in one place; each case runs in a fresh interpreter."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables the settings read; each test starts from none of them set.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "STATIC_ROOT",
    # Set by tests/e2e/conftest.py for Playwright; a deployment never has it (async.E001).
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}

SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
from config.celery import app
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "DATABASE": {k: str(v) for k, v in settings.DATABASES["default"].items()
                 if k in ("ENGINE", "NAME", "HOST", "PORT", "USER")},
    "DATABASE_CONNECTIONS": {k: settings.DATABASES["default"][k]
                             for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")},
    "REDIS_URL": settings.REDIS_URL,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CACHES": settings.CACHES,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "app_broker_url": app.conf.broker_url,
    "app_always_eager": app.conf.task_always_eager,
    "app_publish_retry": app.conf.task_publish_retry,
    "app_connection_timeout": app.conf.broker_connection_timeout,
    "app_transport_options": app.conf.broker_transport_options,
    "STATICFILES_BACKEND": settings.STORAGES["staticfiles"]["BACKEND"],
    "SESSION_COOKIE_SECURE": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "CSRF_COOKIE_SECURE": getattr(settings, "CSRF_COOKIE_SECURE", False),
    "SECURE_PROXY_SSL_HEADER": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "SECURE_HSTS_SECONDS": getattr(settings, "SECURE_HSTS_SECONDS", 0),
}))
"""


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.default", **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_under(**env) -> dict:
    result = run_python(SHOW_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dev_settings() -> dict:
    """The settings of ``make run``: DEBUG=1 and nothing else set."""
    return settings_under(DEBUG="1")


def production_env(**extra) -> dict:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "practica.example",
        **extra,
    }


def test_settings_without_secret_key_and_debug_off_refuse_to_load():
    result = run_python("import config.settings.default")

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_with_debug_on_use_the_development_key(dev_settings):
    values = dev_settings

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure-")
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


def test_settings_with_debug_off_use_the_given_key():
    env = production_env()
    values = settings_under(**env)

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == env["SECRET_KEY"]
    assert values["ALLOWED_HOSTS"] == ["practica.example"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["STATICFILES_BACKEND"].startswith("whitenoise.")


def test_settings_production_trust_x_forwarded_proto_by_default():
    values = settings_under(**production_env())

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("X-Forwarded-Proto,https", ["HTTP_X_FORWARDED_PROTO", "https"]),
        ("HTTP_X_FORWARDED_SSL, on", ["HTTP_X_FORWARDED_SSL", "on"]),
        ("", None),
    ],
)
def test_settings_production_proxy_ssl_header_comes_from_the_environment(raw, expected):
    values = settings_under(**production_env(SECURE_PROXY_SSL_HEADER=raw))

    assert values["SECURE_PROXY_SSL_HEADER"] == expected
    # Turning the header off never loosens the cookies.
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True


@pytest.mark.parametrize("raw", ["https", "X-Forwarded-Proto,https,extra", "X Forwarded,https"])
def test_settings_reject_a_malformed_proxy_ssl_header(raw):
    result = run_python(
        "import config.settings.default", **production_env(SECURE_PROXY_SSL_HEADER=raw)
    )

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be" in result.stderr


def test_settings_database_url_defaults_to_sqlite_in_the_project_folder(dev_settings):
    values = dev_settings

    assert values["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(values["DATABASE"]["NAME"]) == BASE_DIR / "db.sqlite3"


def test_settings_database_url_selects_postgresql():
    values = settings_under(DEBUG="1", DATABASE_URL="postgres://ada:pw@db.example:5433/practica")

    assert values["DATABASE"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "practica",
        "HOST": "db.example",
        "PORT": "5433",
        "USER": "ada",
    }


def test_settings_production_postgresql_connections_persist_with_health_checks():
    values = settings_under(**production_env(DATABASE_URL="postgres://ada@db.example/practica"))

    # Kept between requests, and checked before a request reuses one that the server closed
    # meanwhile (tests/core/test_database.py).
    assert values["DATABASE_CONNECTIONS"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


def test_settings_without_redis_url_run_tasks_in_process(dev_settings):
    values = dev_settings

    assert values["REDIS_URL"] == ""
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CELERY_BROKER_URL"] == "memory://localhost/"
    assert values["app_always_eager"] is True
    assert values["CACHE_BACKEND"].endswith("LocMemCache")


EAGER_TASK = """
import logging, django
django.setup()
logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
from config.celery import app
from core.enqueue import _delay_logging_failures
assert app.conf.task_always_eager


@app.task(name="tests.noop")
def noop():
    return None


print("sent" if _delay_logging_failures(noop, {}) else "failed")
"""


def test_settings_without_redis_url_enqueue_without_a_kombu_warning():
    # make run printed "kombu.connection: No hostname was supplied" on the first task
    # (issue #13, item 11): an eager task still borrows a producer from kombu's pool.
    result = run_python(EAGER_TASK, DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sent")
    assert "hostname" not in result.stderr and "kombu" not in result.stderr, result.stderr


def test_settings_with_redis_url_use_it_as_broker_with_short_timeouts():
    url = "redis://redis.example:6379/2"
    values = settings_under(DEBUG="1", REDIS_URL=url)

    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["app_broker_url"] == url
    assert values["app_always_eager"] is False
    assert values["CACHE_BACKEND"].endswith("RedisCache")
    # A down or silent broker must not hold a web request (tests/core/test_enqueue.py).
    assert values["app_publish_retry"] is False
    assert values["app_connection_timeout"] <= 1
    options = values["app_transport_options"]
    assert options["socket_timeout"] <= 1
    assert options["socket_connect_timeout"] <= 1
    assert options["max_retries"] == 0


def test_settings_email_defaults_to_the_console(dev_settings):
    assert dev_settings["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_settings_reject_a_malformed_boolean():
    result = run_python("import config.settings.default", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    """Run manage.py as from the shell, with only *env* of the settings' variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_production_pass_check_deploy_without_warnings(collected_static_root):
    # The production image runs collectstatic when it is built (Dockerfile).
    env = production_env(STATIC_ROOT=str(collected_static_root))
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
