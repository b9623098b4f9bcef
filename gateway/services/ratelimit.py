"""Per-phone limits on callbacks, counted in Redis; if Redis is away, let people through."""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from gateway.flows.texts import TOO_MANY_SMS
from models.outbox import MessageKind, queue_sms

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


def sms_flood(redis: Redis | None, phone: str, limit: int) -> tuple[bool, bool]:
    """(over the limit, tell the sender): a phone over its SMS limit hears of it once a minute."""
    if allow(redis, "sms", phone, limit):
        return False, False
    return True, allow(redis, "sms-told", phone, 1)


def tell_flood(session: Session, phone: str) -> list[int]:
    """The one polite reply to a flooding phone (a stranger's number gets none)."""
    if not phone.startswith("+"):
        return []
    message = queue_sms(session, phone, TOO_MANY_SMS, MessageKind.REPLY)
    return [message.id] if message is not None else []
