"""The cache when Redis is down or silent: login still works and rate limits still limit."""

import copy
import logging
import shutil
import subprocess
import time

import pytest
import redis
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from core import cache as resilient
from tests.core.test_settings import production_env, settings_under
from tests.factories import UserFactory
from tests.plugins.services import free_port, under_ci

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
# The bound for a login whose cache is down or silent (it failed after 0.35 s and 1.1 s).
LOGIN_BOUND_SECONDS = 1.5


@pytest.fixture(scope="module")
def production_caches() -> dict:
    """CACHES exactly as the production settings build them from REDIS_URL."""
    return settings_under(**production_env(REDIS_URL="redis://redis.example:6379/0"))["CACHES"]


@pytest.fixture
def cache_at(settings, production_caches):
    """Point the default cache, configured as in production, at a Redis URL."""

    def point(url: str) -> None:
        caches = copy.deepcopy(production_caches)
        caches["default"]["LOCATION"] = url
        settings.CACHES = caches

    return point


@pytest.fixture
def own_redis():
    """A redis-server of this test's own on a free port (never the shared one on 6379)."""
    if shutil.which("redis-server") is None:
        if under_ci():
            pytest.fail("CI=true and redis-server is not installed", pytrace=False)
        pytest.skip("redis-server is not installed")
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()


class OwnRedis:
    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=0.2, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def verified_user(**kwargs):
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def timed_login(client, login: str, password: str):
    started = time.monotonic()
    response = client.post(reverse("account_login"), {"login": login, "password": password})
    return response, time.monotonic() - started


def assert_logged_in(client, response):
    assert response.status_code == 302
    assert response.url == reverse("communities:directory")
    assert "_auth_user_id" in client.session


def test_cache_production_settings_use_the_resilient_backend_with_short_timeouts(
    production_caches,
):
    default = production_caches["default"]

    assert default["BACKEND"] == "core.cache.ResilientRedisCache"
    assert default["OPTIONS"]["socket_timeout"] <= 0.5
    assert default["OPTIONS"]["socket_connect_timeout"] <= 0.5


def test_login_with_cache_redis_down_redirects_within_bound(client, cache_at, caplog):
    cache_at(f"redis://127.0.0.1:{free_port()}/0")
    verified_user(username="grace")

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        response, seconds = timed_login(client, "grace", PASSWORD)

    print(f"login with the cache's Redis down took {seconds:.3f} s")
    assert_logged_in(client, response)
    assert seconds < LOGIN_BOUND_SECONDS
    assert "Redis cache" in caplog.text and "ConnectionError" in caplog.text


def test_login_with_cache_redis_silent_redirects_within_bound(
    client, cache_at, silent_server, caplog
):
    cache_at(f"redis://127.0.0.1:{silent_server.port}/0")
    verified_user(username="grace")

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        response, seconds = timed_login(client, "grace", PASSWORD)

    print(f"login with the cache's Redis silent took {seconds:.3f} s")
    assert silent_server.accepted, "the cache never reached the silent server"
    assert_logged_in(client, response)
    assert seconds < LOGIN_BOUND_SECONDS
    assert "Timeout" in caplog.text


def test_login_failed_rate_limit_still_limits_with_cache_redis_down(client, cache_at):
    cache_at(f"redis://127.0.0.1:{free_port()}/0")
    verified_user(username="grace")

    # ACCOUNT_RATE_LIMITS["login_failed"]: 5 failures per 5 minutes for one login.
    for _ in range(5):
        response, _seconds = timed_login(client, "grace", "wrong password")
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.content.decode()
    response, _seconds = timed_login(client, "grace", PASSWORD)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_cache_outage_answers_from_memory_and_is_logged_once(
    cache_at, own_redis, caplog, monkeypatch
):
    # Every operation tries Redis again and fails; the log still gets one line, not thirty.
    monkeypatch.setattr(resilient.ResilientRedisCache, "retry_after_seconds", 0.0)
    cache_at(own_redis.url)
    cache.set("kept", "in redis", 60)
    own_redis.stop()

    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("kept") is None  # a miss: Redis's value is out of reach
        cache.set("written", "during the outage", 60)
        assert cache.add("lock", True, 10) is True
        assert cache.add("lock", True, 10) is False
        assert cache.get("written") == "during the outage"
        assert cache.add("counter", 0) is True
        assert cache.incr("counter") == 1
        for _ in range(20):
            cache.get("kept")

    outage_records = [r for r in caplog.records if r.name == "core.cache"]
    assert len(outage_records) == 1, [r.getMessage() for r in outage_records]
    assert "ConnectionError" in outage_records[0].getMessage()


def test_cache_recovers_when_redis_is_back_and_forgets_the_local_values(
    cache_at, own_redis, caplog, monkeypatch
):
    monkeypatch.setattr(resilient.ResilientRedisCache, "retry_after_seconds", 0.0)
    cache_at(own_redis.url)
    cache.set("before", 1, 60)
    own_redis.stop()
    cache.set("during", 2, 60)
    assert cache.get("during") == 2

    own_redis.start()
    with caplog.at_level(logging.INFO, logger="core.cache"):
        cache.set("after", 3, 60)

    assert "is back" in caplog.text
    direct = redis.Redis.from_url(own_redis.url)
    assert direct.dbsize() == 1  # only "after": a restarted Redis without persistence
    direct.close()
    assert cache.get("after") == 3
    assert cache.get("during") is None  # the outage's local value is gone with the outage


def test_cache_with_silent_redis_waits_for_one_timeout_not_one_per_operation(
    cache_at, silent_server
):
    cache_at(f"redis://127.0.0.1:{silent_server.port}/0")

    started = time.monotonic()
    for number in range(20):
        cache.set(f"key-{number}", number, 60)
        assert cache.get(f"key-{number}") == number
    seconds = time.monotonic() - started

    print(f"40 operations on a silent Redis took {seconds:.3f} s")
    assert seconds < 1.0
