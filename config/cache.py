"""The cache all web processes share, on the site's Redis, that a Redis outage cannot take
the pages down with.

Shared because log-in limits counted per process let 9 of 40 guesses through against a
limit of 5 (four gunicorn workers, each its own count), and the embedded Redis of
`make run` is on a unix socket, which the cache had not used at all. Tolerant because
the cache only ever saves work: while Redis is down a read is a miss, a write is dropped
and the limits are not counted (RATELIMIT_FAIL_OPEN), with one warning a minute in the log,
rather than every page that touches the cache failing with the broker.
"""
from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
# Unreachable, out of memory, read-only, unable to persist (MISCONF): all are outages here.
DOWN = (RedisError, OSError)
WARN_EVERY_S = 60


def cache_location(broker_url: str) -> str | None:
    """The redis-py address of the broker's Redis (kombu's redis+socket:// is a unix
    socket), or None where it is not a Redis."""
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return broker_url
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://")
    return None


class SharedCache(RedisCache):
    _warned_at = 0.0

    def _down(self, error: Exception) -> None:
        now = time.monotonic()
        if now - SharedCache._warned_at > WARN_EVERY_S:
            SharedCache._warned_at = now
            log.warning("cache: Redis unreachable (%s); serving without the cache until it is back", error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except DOWN as error:
            self._down(error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except DOWN as error:
            self._down(error)
            return {}

    def set(self, key, value, timeout=None, version=None, **kwargs):  # noqa: A003
        try:
            return super().set(key, value, timeout, version, **kwargs)
        except DOWN as error:
            self._down(error)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except DOWN as error:
            self._down(error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except DOWN as error:
            self._down(error)
            raise ValueError("the cache is unreachable") from error

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except DOWN as error:
            self._down(error)
            return False
