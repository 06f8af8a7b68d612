"""Requests counted per client address in fixed windows, in the default cache.

Fixed windows (the count of the current minute, hour...) rather than a
sliding log: two cache operations a request, atomic in Redis and in memory
(add() then incr()), so that concurrent requests from one address are all
counted, in every web process when CACHES points at Redis. A client may get
up to twice the limit across a window's edge; that is the price of two
operations. With Redis down nothing is limited, as the API's throttles are
not (tracker/cache.py).
"""

import hashlib
import time

from django.core.cache import cache

from .cache import UNAVAILABLE
from .middleware import client_ip

KEY = "rate:{scope}:{seconds}:{who}:{window}"


def wait_seconds(scope: str, who: str, *, limit: int, window_seconds: int) -> int:
    """Count one request of `who` in `scope`; the seconds until it may make another (0: this one is allowed)."""
    now = int(time.time())
    window = now // window_seconds
    # Hashed: an address read from a proxy's header is not trusted to be a valid cache key (memcached refuses spaces).
    digest = hashlib.blake2b(who.encode(), digest_size=12).hexdigest()
    key = KEY.format(scope=scope, seconds=window_seconds, who=digest, window=window)
    # A little longer than the window, so that the key outlives its last increment.
    timeout = window_seconds + 60
    try:
        cache.add(key, 0, timeout=timeout)
        hits = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): a new window began.
        cache.add(key, 1, timeout=timeout)
        hits = 1
    except UNAVAILABLE:
        return 0
    if hits <= limit:
        return 0
    return max(1, (window + 1) * window_seconds - now)


def client_wait_seconds(request, scope: str, *, limit: int, window_seconds: int = 60) -> int:
    """`wait_seconds` for the request's client address (tracker.middleware.client_ip, behind TRUSTED_PROXIES)."""
    return wait_seconds(scope, client_ip(request), limit=limit, window_seconds=window_seconds)
