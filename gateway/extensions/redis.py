"""The gateway's handle on Redis: a connection opened on first use, or None when Redis is away."""

from __future__ import annotations

import logging

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

    @property
    def redis(self) -> Redis:
        """The connection, opened on first use."""
        if self._redis is None:
            self._redis = connect(self.settings)
        return self._redis


def init_app(app: Flask, settings: Settings) -> Broker:
    """Attach a Broker to the app."""
    app.extensions[EXTENSION] = Broker(settings)
    return app.extensions[EXTENSION]


def current_redis() -> Redis:
    """The Redis of the running app."""
    return current_app.extensions[EXTENSION].redis


def redis_or_none() -> Redis | None:
    """The app's Redis, or None if even connecting fails (the embedded server may be gone)."""
    try:
        return current_redis()
    except Exception:
        log.warning("redis unavailable")
        return None
