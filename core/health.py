"""Report the health of what Practica depends on: database, Redis, Celery workers, static files."""

import time
from dataclasses import asdict, dataclass

import redis
from celery import current_app as app
from django.conf import settings
from django.db import connection

from core.checks import COLLECTSTATIC, static_manifest_problem, uses_static_manifest


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "failing" or "not configured"
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status != "failing"


def _timed(name, probe) -> Check:
    started = time.monotonic()
    try:
        status, detail = probe()
    except Exception as exc:  # any failure of a dependency is a report, not a crash
        status, detail = "failing", f"{type(exc).__name__}: {exc}"
    return Check(name, status, detail, round(time.monotonic() - started, 3))


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok", f"{connection.vendor} reachable"


def _redis():
    if not settings.REDIS_URL:
        return "not configured", "REDIS_URL is not set: tasks run in-process after commit"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    client.ping()
    return "ok", "answered PING"


def _worker():
    if not settings.REDIS_URL:
        return "not configured", "no worker needed: tasks run in-process"
    replies = app.control.ping(timeout=1.0)
    if not replies:
        return "failing", "no Celery worker answered within 1 s"
    return "ok", f"{len(replies)} worker(s) answered"


def _static():
    if not uses_static_manifest():
        return "not configured", "static files are served from the app folders (no manifest)"
    problem = static_manifest_problem()
    if problem:
        return "failing", f"{problem} {COLLECTSTATIC}"
    return "ok", "every static file is in the manifest"


def run_checks() -> list[Check]:
    """Run every check and return the results in a fixed order."""
    redis_check = _timed("redis", _redis)
    if redis_check.ok:
        worker_check = _timed("worker", _worker)
    else:
        # Workers are reached through Redis: asking a dead or silent broker would only wait.
        worker_check = Check("worker", "failing", "not checked: Redis is failing", 0.0)
    return [_timed("database", _database), redis_check, worker_check, _timed("static", _static)]


def as_dict(checks: list[Check]) -> dict:
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
