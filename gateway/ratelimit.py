"""Per-phone limits on callbacks, counted in Redis; if Redis is away, let people through."""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def allow(redis: Redis | None, what: str, phone: str, limit: int, window: int = 60) -> bool:
    """Count one event for this phone; False once the window's limit is passed."""
    if redis is None:
        return True
    key = f"satja:rate:{what}:{phone}:{int(time.time() // window)}"
    try:
        with redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, window * 2)
            count, _ = pipe.execute()
    except (RedisError, OSError):
        # The menu must not stop because Redis did: an outage lifts the limit.
        log.warning("rate limit unavailable: redis unreachable")
        return True
    return count <= limit
