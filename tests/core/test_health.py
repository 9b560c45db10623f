"""The health check: a page for operators, its JSON, and ``manage.py health``."""

import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

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
    assert list(checks) == ["database", "redis", "worker"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "not configured"
    assert checks["worker"]["status"] == "not configured"
    assert all(isinstance(c["seconds"], float) for c in report["checks"])


def test_health_page_renders_a_table_of_checks(client, settings):
    settings.REDIS_URL = ""

    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "All services are working." in content
    for name in ("database", "redis", "worker"):
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
    assert [line.split()[0] for line in lines] == ["database", "redis", "worker"]
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
