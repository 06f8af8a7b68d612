"""Django's Redis cache, made to degrade: with Redis unreachable a read misses and a write is dropped.

Everything kept in the cache can be recomputed (the board's numbers) or
forgotten for a while (the API's throttle counts: DRF's throttles would
otherwise turn every API request into a 500 while Redis is down). Login
lockouts do not depend on it (tracker/lockout.py counts in the database).
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OutOfMemoryError)


def _degrading(method, *, fallback):
    """`method`, answering `fallback(args)` and logging when Redis cannot be reached."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: %s gave up", method.__name__, exc_info=True)
            return fallback(*args, **kwargs)

    return wrapper


class DegradingRedisCache(RedisCache):
    # A read misses, a write or delete is dropped (set_many reports every key as not set).
    get = _degrading(RedisCache.get, fallback=lambda key, default=None, version=None: default)
    get_many = _degrading(RedisCache.get_many, fallback=lambda keys, version=None: {})
    has_key = _degrading(RedisCache.has_key, fallback=lambda *args, **kwargs: False)
    set = _degrading(RedisCache.set, fallback=lambda *args, **kwargs: None)
    set_many = _degrading(RedisCache.set_many, fallback=lambda data, *args, **kwargs: list(data))
    add = _degrading(RedisCache.add, fallback=lambda *args, **kwargs: False)
    delete = _degrading(RedisCache.delete, fallback=lambda *args, **kwargs: False)

    def clear(self):
        # Django's clear() is FLUSHDB, which would also empty the Celery
        # queues sharing the database; only this cache's keys go.
        client = self._cache.get_client(write=True)
        prefix = self.key_prefix.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?").replace("[", "\\[")
        deleted = False
        batch = []
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted = bool(client.delete(*batch)) or deleted
                batch = []
        if batch:
            deleted = bool(client.delete(*batch)) or deleted
        return deleted
