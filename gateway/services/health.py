"""Is the database there, is Redis there, how deep are the queues."""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue
from sqlalchemy import text

from models.db import Database
from workers.broker import QUEUES

log = logging.getLogger(__name__)


def database_ok(db: Database) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the detail goes to the log
        log.exception("health: database unreachable")
        return False
    return True


def queue_depths(redis: Redis | None) -> dict[str, int] | None:
    """Jobs waiting per queue, or None when Redis does not answer."""
    try:
        if redis is None:
            raise ConnectionError("no redis")
        return {name: Queue(name, connection=redis).count for name in QUEUES}
    except Exception:
        log.exception("health: redis unreachable")
        return None
