"""The gateway's handle on Redis: a connection opened on first use, or None when Redis is away."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask, current_app
from redis import Redis

from config.settings import Settings
from workers.broker import connect

log = logging.getLogger(__name__)
EXTENSION = "satja.redis"


class Broker:
    """A lazily opened Redis connection (nothing connects at app creation)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._redis: Redis | None = None
        self._pinned = threading.local()

    @property
    def redis(self) -> Redis:
        """The connection, opened on first use."""
        if self._redis is None:
            self._redis = connect(self.settings)
        return self._redis

    @property
    def pinned(self) -> Redis:
        """A client per thread that keeps one connection of the pool: no checkout per command.

        For the USSD hop, one Lua call a hop: a pooled command checks its connection out
        and back in (a poll and two getpid calls, 5% of a hop's instructions; see
        bench/RESULTS.md). Its pipelines still take pooled connections. Made on a thread's
        first use, which connects.
        """
        held = getattr(self._pinned, "held", None)
        if held is None or held[0] != os.getpid():  # a forked child has its own
            client = Redis(
                connection_pool=self.redis.connection_pool, single_connection_client=True
            )
            self._pinned.held = held = (os.getpid(), client)
        return held[1]


def init_app(app: Flask, settings: Settings) -> Broker:
    """Attach a Broker to the app."""
    app.extensions[EXTENSION] = Broker(settings)
    return app.extensions[EXTENSION]


def current_redis() -> Redis:
    """The Redis of the running app."""
    return current_app.extensions[EXTENSION].redis


def redis_or_none(*, pinned: bool = False) -> Redis | None:
    """The app's Redis, or None if even connecting fails (the embedded server may be gone).

    `pinned`: this thread's client on a connection of its own (Broker.pinned).
    """
    try:
        broker = current_app.extensions[EXTENSION]
        return broker.pinned if pinned else broker.redis
    except Exception:
        log.warning("redis unavailable")
        return None
