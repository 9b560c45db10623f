"""A Redis cache that keeps answering, from process memory, while Redis is down or silent."""

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Socket failures that redis-py does not wrap in its own exceptions are outages too.
CACHE_FAILURES = (RedisError, OSError)


class _Outage:
    """One Redis location's state in this process: failing or not, when to try it again."""

    def __init__(self, where: str):
        self.where = where
        self.lock = threading.Lock()
        self.failing_since: float | None = None
        self.retry_at = 0.0
        self.logged_at = float("-inf")

    def redis_due(self, retry_after: float) -> bool:
        if self.failing_since is None:
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.retry_at:
                return False
            # One caller probes Redis; the others keep to memory instead of each waiting for it.
            self.retry_at = now + retry_after
            return True

    def failed(self, exc: BaseException, operation: str, retry_after: float, log_every: float):
        with self.lock:
            now = time.monotonic()
            began = self.failing_since is None
            if began:
                self.failing_since = now
            self.retry_at = now + retry_after
            log = now - self.logged_at >= log_every
            if log:
                self.logged_at = now
            since = now - self.failing_since
        if log:
            logger.warning(
                "Redis cache at %s failed on %s (%s: %s)%s; this process answers from its own "
                "memory and tries Redis again every %g s.",
                self.where,
                operation,
                type(exc).__name__,
                exc,
                "" if began else f", still failing after {since:.0f} s",
                retry_after,
            )
        return began

    def succeeded(self) -> bool:
        if self.failing_since is None:
            return False
        with self.lock:
            if self.failing_since is None:
                return False
            seconds = time.monotonic() - self.failing_since
            self.failing_since = None
            self.logged_at = float("-inf")
        logger.info("Redis cache at %s is back after %.1f s.", self.where, seconds)
        return True


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(server) -> _Outage:
    key = str(server)
    with _outages_lock:
        if key not in _outages:
            _outages[key] = _Outage(_describe(server))
        return _outages[key]


def _describe(server) -> str:
    """Name a Redis location for logs without the password its URL may carry."""
    first = server[0] if isinstance(server, list | tuple) else str(server).split(",")[0]
    parts = urlsplit(first)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or ''}"


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that answers from a per-process memory cache while Redis fails.

    A failed operation is logged (once per outage, then at most every ``log_every_seconds``),
    and it and every operation for the next ``retry_after_seconds`` go to the memory cache
    instead of waiting for Redis. allauth's rate limits therefore keep limiting, per process,
    instead of failing closed (its lock is a cache ``add``) or taking login down. The memory
    cache is emptied when an outage begins and when it ends, so its values never outlive one.
    """

    retry_after_seconds = 5.0
    log_every_seconds = 60.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._outage = _outage_for(server)
        self._memory = LocMemCache(f"practica-redis-fallback:{server}", params)

    def _call(self, operation: str, *args, **kwargs):
        if self._outage.redis_due(self.retry_after_seconds):
            try:
                result = getattr(super(), operation)(*args, **kwargs)
            except CACHE_FAILURES as exc:
                began = self._outage.failed(
                    exc, operation, self.retry_after_seconds, self.log_every_seconds
                )
                if began:
                    self._memory.clear()
            else:
                if self._outage.succeeded():
                    self._memory.clear()
                return result
        return getattr(self._memory, operation)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self._memory.clear()
        return self._call("clear")
