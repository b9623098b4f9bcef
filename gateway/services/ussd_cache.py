"""The USSD hop's Redis side: caller snapshots, held per session, and the phone limit.

Most hops only move through the menu. Their answers come from a snapshot of the caller
in Redis, in one round trip (a Lua script) that also counts the hop against the phone's
limit. The first hop of a session holds the caller's snapshot for the session, so every
hop of it, and any repeat of a hop, is answered from the same figures: the same
(session, text) gets the same screen without storing it. A caller's snapshot is good
while its group's generation (moved on after every committed change, models.changes)
and its day are current; it also expires after SNAPSHOT_TTL, the bound on a change whose
announcement was lost. Hops that read something the snapshot lacks go to the database
and add what they read, tagged with the generation seen before the database was read,
so a snapshot is never tagged newer than its data. Without Redis, every hop reads the
database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import NoScriptError, RedisError

from gateway.flows import ussd as menu
from workers.broker import GENERATION

log = logging.getLogger(__name__)
HOLD_TTL = 600  # seconds; Africa's Talking ends a session long before
SNAPSHOT_TTL = 600
# KEYS: the phone's rate counter, the session's held snapshot, the caller's snapshot.
# ARGV: the counter's lifetime, the generation keys' prefix, today, the hold's lifetime.
# A snapshot is "<group> <generation> <day> <json>".
LOOK = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local held = redis.call('GET', KEYS[2])
local snapshot = held or redis.call('GET', KEYS[3])
if not snapshot then return {count, false, false, 0} end
-- The generation's key is named by the snapshot, so it cannot come in KEYS: fine on
-- the single Redis server Satja runs on (RQ does not run on a cluster either).
local group, tagged, day = string.match(snapshot, '^(%d+) (%-?%d+) (%S+) ')
if not group then return {count, false, false, 0} end
local current = redis.call('GET', ARGV[2] .. group) or '0'
if held then return {count, held, current, 1} end
if tagged == current and day == ARGV[3] then
  redis.call('SET', KEYS[2], snapshot, 'EX', ARGV[4])
  return {count, snapshot, current, 1}
end
return {count, snapshot, current, 0}
"""
LOOK_SHA = hashlib.sha1(LOOK.encode()).hexdigest()
ROWS: dict[str, type] = {
    "collectors": menu.Collector,
    "payments": menu.Payment,
    "benefits": menu.BenefitLine,
    "claims": menu.ClaimLine,
}


class NotCached(LookupError):
    """The snapshot lacks a figure this hop shows: read it from the database."""


def _encode(value: object) -> object:
    if isinstance(value, tuple):
        return [dataclasses.astuple(row) for row in value]
    return value


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()  # datetimes too
    raise TypeError(f"{type(value).__name__} does not go in a snapshot")


def _row(cls: type, values: list[Any]) -> object:
    return cls(
        *(
            dt.date.fromisoformat(v) if f.type == "dt.date" else v
            for f, v in zip(dataclasses.fields(cls), values, strict=True)
        )
    )


def _decode(name: str, raw: Any) -> object:
    if name in ROWS:
        return tuple(_row(ROWS[name], values) for values in raw)
    if name in ("paid_through", "lapse_on", "return_until"):
        return None if raw is None else dt.date.fromisoformat(raw)
    return raw


class CachedCaller:
    """The menu's caller read from a snapshot; a figure it does not hold raises NotCached."""

    def __init__(self, fields: dict[str, Any], now: dt.datetime) -> None:
        self._fields, self._now = fields, now

    @property
    def pin_locked(self) -> bool:
        """Whether PIN actions are locked now (a running lock is asked of the database)."""
        # A lock that ended between a hop and its repeat would answer them two ways.
        until = self._fields["pin_locked_until"]
        if until is not None and dt.datetime.fromisoformat(until) > self._now:
            raise NotCached("pin_locked")
        return False

    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or name not in self._fields:
            raise NotCached(name)
        value = _decode(name, self._fields[name])
        setattr(self, name, value)  # decoded once per hop
        return value


@dataclass(frozen=True)
class Snapshot:
    """A caller's figures as stored: their group, its generation then, the day."""

    group_id: int
    generation: int
    day: str
    fields: dict[str, Any]

    @classmethod
    def parse(cls, raw: bytes) -> Snapshot:
        """Read one from Redis."""
        group, generation, day, body = raw.decode().split(" ", 3)
        return cls(int(group), int(generation), day, json.loads(body))

    def dump(self) -> str:
        """Write one for Redis."""
        body = json.dumps(self.fields, ensure_ascii=False, separators=(",", ":"), default=_iso)
        return f"{self.group_id} {self.generation} {self.day} {body}"


@dataclass(frozen=True)
class Look:
    """What Redis held for a hop before it was answered."""

    reachable: bool = False
    over_limit: bool = False
    snapshot: Snapshot | None = None  # the session's held one, or else the caller's
    held: bool = False
    generation: int = 0  # the snapshot's group's, read before the database


class HopCache:
    """Caller snapshots in Redis; every call fails soft to the database."""

    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis

    def look(
        self, session_id: str, phone: str, limit: int, today: dt.date, window: int = 60
    ) -> Look:
        """Count the hop and fetch the session's held snapshot, in one round trip."""
        if self._redis is None:
            return Look()
        rate = f"satja:rate:ussd:{phone}:{int(time.time() // window)}"
        keys = (rate, _held_key(session_id, phone), _snapshot_key(phone))
        args = (window * 2, GENERATION, today.isoformat(), HOLD_TTL)
        try:
            try:
                found = self._redis.evalsha(LOOK_SHA, 3, *keys, *args)
            except NoScriptError:  # a restarted Redis: load it again
                found = self._redis.eval(LOOK, 3, *keys, *args)
        except (RedisError, OSError):
            log.warning("ussd cache unavailable", exc_info=True)
            return Look()
        count, raw, generation, held = found
        try:
            snapshot = Snapshot.parse(raw) if raw else None
        except ValueError:  # not one we wrote: read the database, and write it anew
            log.warning("ussd snapshot unreadable; reading the database")
            snapshot, held = None, 0
        return Look(
            reachable=True,
            over_limit=count > limit,
            snapshot=snapshot,
            held=bool(held),
            generation=int(generation or 0),
        )

    def keep(
        self,
        look: Look,
        session_id: str,
        phone: str,
        group_id: int,
        read: dict[str, Any],
        today: dt.date,
    ) -> None:
        """Add what a hop read from the database to the caller's snapshot (and the session's)."""
        if not look.reachable:
            return
        old = look.snapshot
        current = False
        if old is None or old.group_id != group_id:
            # No generation of this group was read before the database: store where the
            # caller belongs, tagged so that it is not trusted; the next hop reads it right.
            snapshot = Snapshot(group_id, -1, today.isoformat(), {})
        else:
            current = old.generation == look.generation and old.day == today.isoformat()
            fields = {**(old.fields if current else {})}
            fields.update((name, _encode(value)) for name, value in read.items())
            snapshot = Snapshot(group_id, look.generation, today.isoformat(), fields)
        text = snapshot.dump()
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(_snapshot_key(phone), text, ex=SNAPSHOT_TTL)
                if look.held and current:
                    # Nothing changed since the session took hold: it may use what was read.
                    pipe.set(_held_key(session_id, phone), text, ex=HOLD_TTL, xx=True)
                pipe.execute()
        except (RedisError, OSError):
            log.warning("ussd cache unavailable", exc_info=True)


def _held_key(session_id: str, phone: str) -> str:
    # The phone too: a session's held snapshot never answers for another number.
    return f"satja:ussd:held:{session_id}:{phone}"


def _snapshot_key(phone: str) -> str:
    return f"satja:ussd:caller:{phone}"
