"""Django's Redis cache, made to degrade: with Redis unreachable a read misses and a write is dropped.

Everything kept in the cache can be recomputed (the board's numbers) or
forgotten for a while (the API's throttle counts: DRF's throttles would
otherwise turn every API request into a 500 while Redis is down). Login
lockouts do not depend on it (tracker/lockout.py counts in the database).
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OutOfMemoryError)


class DegradingRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: read of %s missed", key, exc_info=True)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: %d reads missed", len(keys), exc_info=True)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: %s taken as absent", key, exc_info=True)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: write of %s dropped", key, exc_info=True)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: %d writes dropped", len(data), exc_info=True)
            return list(data)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: write of %s dropped", key, exc_info=True)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNAVAILABLE:
            logger.warning("Cache unavailable: delete of %s dropped", key, exc_info=True)
            return False

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
