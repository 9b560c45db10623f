"""The health check: a page for operators, its JSON, and ``manage.py health``."""

import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.core.conftest import PRODUCTION_STATIC_STORAGES
from tests.plugins.services import free_port

pytestmark = pytest.mark.django_db

# A health check must answer fast even when a dependency hangs or is gone.
HEALTH_BOUND_SECONDS = 3.0


@pytest.fixture
def dead_redis(settings, celery_broker):
    """REDIS_URL and the Celery broker both at a port where nothing listens (production shape)."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    with celery_broker(url):
        yield url


def checks_by_name(report):
    return {check["name"]: check for check in report["checks"]}


def test_health_json_without_redis_reports_database_ok_and_redis_not_configured(client, settings):
    settings.REDIS_URL = ""

    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    report = response.json()
    assert report["ok"] is True
    checks = checks_by_name(report)
    assert list(checks) == ["database", "redis", "worker", "static"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "not configured"
    assert checks["worker"]["status"] == "not configured"
    assert checks["static"]["status"] == "not configured"
    assert all(isinstance(c["seconds"], float) for c in report["checks"])


def test_health_page_renders_a_table_of_checks(client, settings):
    settings.REDIS_URL = ""

    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "All services are working." in content
    for name in ("database", "redis", "worker", "static"):
        assert f'<th scope="row">{name}</th>' in content
    assert "not configured" in content


@pytest.mark.redis
def test_health_json_with_real_redis_reports_redis_ok(client, settings, redis_url):
    settings.REDIS_URL = redis_url

    report = client.get(reverse("health"), {"format": "json"}).json()

    checks = checks_by_name(report)
    assert checks["redis"]["status"] == "ok"
    assert checks["redis"]["detail"] == "answered PING"
    # No worker runs in this test (tests/core/test_celery_worker.py starts one).
    assert checks["worker"]["status"] in {"ok", "failing"}


def test_health_json_with_dead_redis_is_503_quickly(client, dead_redis):
    started = time.monotonic()
    response = client.get(reverse("health"), {"format": "json"})
    seconds = time.monotonic() - started

    print(f"health with dead Redis took {seconds:.3f} s")
    assert response.status_code == 503
    report = response.json()
    assert report["ok"] is False
    checks = checks_by_name(report)
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "failing"
    assert "ConnectionError" in checks["redis"]["detail"]
    assert checks["worker"]["status"] == "failing"
    assert seconds < HEALTH_BOUND_SECONDS


def test_health_page_with_dead_redis_is_503(client, dead_redis):
    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert "At least one service is failing." in response.content.decode()


def test_health_command_reports_each_service(settings):
    settings.REDIS_URL = ""
    out = StringIO()

    call_command("health", stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["database", "redis", "worker", "static"]
    assert "ok" in lines[0]
    assert "not configured" in lines[1]


def test_health_command_json_output(settings):
    settings.REDIS_URL = ""
    out = StringIO()

    call_command("health", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["ok"] is True
    assert checks_by_name(report)["database"]["status"] == "ok"


def test_health_command_raises_command_error_when_a_service_fails(dead_redis):
    out = StringIO()

    with pytest.raises(CommandError, match="At least one service is failing"):
        call_command("health", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert checks_by_name(report)["redis"]["status"] == "failing"


@pytest.fixture
def static_not_collected(settings, tmp_path):
    """Production's static storage with an empty STATIC_ROOT: collectstatic never ran."""
    settings.REDIS_URL = ""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = PRODUCTION_STATIC_STORAGES


def test_health_json_without_collectstatic_reports_static_failing(client, static_not_collected):
    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code == 503
    checks = checks_by_name(response.json())
    assert checks["database"]["status"] == "ok"
    assert checks["static"]["status"] == "failing"
    assert "manage.py collectstatic" in checks["static"]["detail"]


def test_health_page_without_collectstatic_is_503_and_names_the_step(client, static_not_collected):
    # Every page that uses {% static %} answers 500 here; the health page must still render.
    response = client.get(reverse("health"))

    assert response.status_code == 503
    content = response.content.decode()
    assert "At least one service is failing." in content
    assert '<th scope="row">static</th>' in content
    assert "manage.py collectstatic" in content


def test_health_command_without_collectstatic_fails_and_names_the_step(static_not_collected):
    out = StringIO()

    with pytest.raises(CommandError, match="At least one service is failing"):
        call_command("health", stdout=out)

    static_line = out.getvalue().splitlines()[-1]
    assert static_line.split()[0] == "static"
    assert "failing" in static_line and "manage.py collectstatic" in static_line


def test_health_json_after_collectstatic_reports_static_ok(client, settings, collected_static_root):
    settings.REDIS_URL = ""
    settings.STATIC_ROOT = collected_static_root
    settings.STORAGES = PRODUCTION_STATIC_STORAGES

    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code == 200
    assert checks_by_name(response.json())["static"]["status"] == "ok"


def test_health_json_with_silent_redis_is_503_within_bound(
    client, settings, celery_broker, silent_server
):
    url = f"redis://127.0.0.1:{silent_server.port}/0"
    settings.REDIS_URL = url
    with celery_broker(url):
        started = time.monotonic()
        response = client.get(reverse("health"), {"format": "json"})
        seconds = time.monotonic() - started

    print(f"health with silent Redis took {seconds:.3f} s")
    assert response.status_code == 503
    checks = checks_by_name(response.json())
    assert checks["redis"]["status"] == "failing"
    assert "Timeout" in checks["redis"]["detail"]
    assert checks["worker"]["status"] == "failing"
    assert seconds < HEALTH_BOUND_SECONDS
