"""Markers for tests that need a real service: PostgreSQL, Redis, a Celery worker, a browser.

- ``redis`` and ``celery_worker``: need Redis at ``PRACTICA_TEST_REDIS_URL``
  (default ``redis://127.0.0.1:6379/15``). Skipped with a reason when it does not answer,
  except under ``CI=true``, where a missing service is a failure, never a skip.
- ``postgres``: run only when the default database is PostgreSQL; deselected on SQLite (the
  PostgreSQL pass of ``.ci/run`` runs them).
- ``e2e``: need Debian's Chromium (``PRACTICA_CHROMIUM``, default ``/usr/bin/chromium``);
  skipped when it is missing, a failure under ``CI=true``.
- ``xmlsec1``: need Debian's xmlsec1 program (the SAML tests' identity provider signs with it;
  ``bash scripts/install-xmlsec1.sh``); skipped when it is missing, a failure under ``CI=true``.

Fixtures for background-task tests live here too: ``redis_url`` (a flushed test database on
the real Redis) and ``celery_broker`` (point ``config.celery.app`` at another broker, restored
afterwards). Fault drills get real processes (tests/plugins/processes.py): ``own_redis`` (a
redis-server of the test's own on a free port, to kill or freeze), ``celery_workers`` and
``web_servers`` (factories of a real worker and a gunicorn on the test database, pointed at a
Redis URL, stopped afterwards).
"""

import contextlib
import functools
import os
import shutil
import socket
import threading
from urllib.parse import urlsplit

import pytest

from tests.plugins.processes import (
    CeleryWorker,
    RedisServer,
    WebServer,
    free_port,
    redis_server_path,
)

__all__ = ["free_port"]  # imported from here by tests that need a port where nothing listens

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def test_redis_url() -> str:
    return os.environ.get("PRACTICA_TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL


def chromium_path() -> str:
    return os.environ.get("PRACTICA_CHROMIUM") or DEFAULT_CHROMIUM


@functools.cache
def redis_unavailable_reason(url: str) -> str | None:
    """Return why Redis at *url* cannot be used, or None when it answers PING."""
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, retry_on_timeout=False
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not usable here"; say which
        return f"Redis at {url} does not answer PING ({type(exc).__name__}: {exc})"
    return None


def _database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


def _missing(reason: str) -> None:
    if under_ci():
        pytest.fail(f"CI=true and a required service is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _uses_database(item) -> bool:
    # pytest-django refuses database access to a test without these, so a test without them
    # runs the same whatever the engine.
    return bool(item.get_closest_marker("django_db")) or bool(
        {"db", "transactional_db"} & set(item.fixturenames)
    )


def pytest_collection_modifyitems(config, items):
    """Deselect ``postgres`` tests unless the database is PostgreSQL, and ``sqlite`` tests
    unless it is SQLite: each runs in its own pass of CI, so neither is ever skipped.

    With PRACTICA_TESTS_DATABASE_ONLY=1 (CI's second engine pass), also deselect the tests that
    cannot touch the database (pure computation, settings, templates): the first pass ran them,
    and their result does not depend on the engine."""
    other = "sqlite" if _database_vendor() == "postgresql" else "postgres"
    database_only = os.environ.get("PRACTICA_TESTS_DATABASE_ONLY") == "1"

    def deselect(item) -> bool:
        if item.get_closest_marker(other):
            return True
        return database_only and not _uses_database(item)

    deselected = [item for item in items if deselect(item)]
    if not deselected:
        return
    config.hook.pytest_deselected(items=deselected)
    items[:] = [item for item in items if not deselect(item)]


def pytest_report_header(config):
    return (
        f"practica services: database={_database_vendor()}, "
        f"test redis={test_redis_url()}, chromium={chromium_path()}, CI={under_ci()}"
    )


def pytest_runtest_setup(item):
    if item.get_closest_marker("redis") or item.get_closest_marker("celery_worker"):
        reason = redis_unavailable_reason(test_redis_url())
        if reason:
            _missing(reason)
    if item.get_closest_marker("e2e"):
        path = chromium_path()
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"Chromium not found at {path} (install it: bash scripts/install-chromium.sh)")
    if item.get_closest_marker("xmlsec1") and not shutil.which("xmlsec1"):
        _missing("xmlsec1 not found (install it: bash scripts/install-xmlsec1.sh)")


@pytest.fixture
def redis_url():
    """Return the URL of the test Redis database, flushed before and after the test."""
    import redis

    url = test_redis_url()
    reason = redis_unavailable_reason(url)
    if reason:
        _missing(reason)
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def reset_broker_pools(app) -> None:
    """Close and forget ``app``'s broker connection and producer pools.

    Celery 5.7 caches a connection pool on ``app._pool`` and a producer pool on
    ``app.amqp._producer_pool``; both come from kombu's process-wide pool groups, keyed by the
    connection's URL. Closing a pool without removing it from those groups would leave a closed
    pool for the next user of the same URL ("Acquire on closed pool"), so reset the groups too.
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_pointed_at(url: str, **conf):
    """Point ``config.celery.app`` at the broker *url* (not eager) and restore it afterwards."""
    from config.celery import app

    changes = {"broker_url": url, "task_always_eager": False, **conf}
    saved = {key: app.conf[key] for key in changes}
    reset_broker_pools(app)
    app.conf.update(changes)
    try:
        yield app
    finally:
        reset_broker_pools(app)
        app.conf.update(saved)


@pytest.fixture
def celery_broker():
    """Return a context manager factory: ``with celery_broker(url): ...``."""
    return broker_pointed_at


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung Redis)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.05)
        self.accepted: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(conn)  # held open, never read, never answered

    def stop(self):
        self._stopping.set()
        self._thread.join(timeout=2)
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture
def own_redis():
    """A started redis-server of this test's own on a free port (never the shared one)."""
    if redis_server_path() is None:
        _missing("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer().start()
    yield server
    server.stop()


def _test_database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


@pytest.fixture
def celery_workers():
    """Return ``start(redis_url, **options)``: a real worker on the test database, ready."""
    started = []

    def start(redis_url: str, *, ready: bool = True, **options) -> CeleryWorker:
        worker = CeleryWorker(database_name=_test_database_name(), redis_url=redis_url, **options)
        started.append(worker)
        return worker.wait_ready() if ready else worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def web_servers():
    """Return ``start(redis_url, **options)``: gunicorn on the test database, listening."""
    started = []

    def start(redis_url: str, **options) -> WebServer:
        server = WebServer(database_name=_test_database_name(), redis_url=redis_url, **options)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.stop()
