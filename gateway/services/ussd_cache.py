"""The USSD hop's Redis side: caller snapshots, held per session, and the phone limit.

Most hops only move through the menu. Their answers come from a snapshot of the caller
in Redis, in one round trip (a Lua script) that also counts the hop against the phone's
limit. The first hop of a session holds the caller's snapshot for the session, so every
hop of it, and any repeat of a hop, is answered from the same figures: the same
(session, text) gets the same screen without storing it.

A snapshot is kept in five parts, each tagged with the generations it was read from
(models/base.py), so that a change invalidates only what it concerns:

- caller: the member's record and the group's rules (group and member generations);
- money: balance, payments, claims (those two and the member's money generation);
- usual: the collector the member usually pays, which orders the collector list (those
  two and the member's usual collector: it moves on only when they pay another one);
- collectors: the group's collector list, shared by its members (collectors generation);
- fund: the group's fund total, shared too (fund generation: posted money only).

A member's declaration moves on that member's money alone (and their usual collector,
when they paid another one): every other member's snapshot, and the declarer's own
caller part and collector list, stay good; their next payment's screens come from Redis
up to the PIN. A part is good while its tag
and its day are current; parts also expire after SNAPSHOT_TTL, the bound on a change
whose announcement was lost. Hops that read something the held snapshot lacks go to
the database and add what they read, tagged with the generations read before the
database was, so a part is never tagged newer than its data. Without Redis, every hop
reads the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from typing import Any, NamedTuple

from redis import Redis, exceptions
from redis.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError

from gateway.flows import ussd as menu
from workers.broker import GENERATION

log = logging.getLogger(__name__)
HOLD_TTL = 600  # seconds; Africa's Talking ends a session long before
SNAPSHOT_TTL = 600
PARTS = ("caller", "money", "usual", "collectors", "fund")
FIELDS = {
    # The member's record, and the group's rules and schedule at the member's years.
    "caller": (
        "status",
        "lang",
        "daily_rate",
        "has_pin",
        "pin_locked_until",
        "phone_tail",
        "village",
        "short_name",
        "number",
        "benefits",
    ),
    "money": (
        "balance",
        "paid_through",
        "days_behind",
        "waiting_days_left",
        "payments",
        "claims",
        # Lapse and return follow the money and the status (the member's generation).
        "lapsed",
        "lapse_on",
        "return_until",
    ),
    "usual": ("usual_collector",),  # assigned, else the last one paid
    "collectors": ("collectors",),
    "fund": ("fund_total",),
}
PART_OF = {name: part for part, names in FIELDS.items() for name in names}
# KEYS: the phone's rate counter, the session's held snapshot, the caller part, the money
# part, the usual part. ARGV: the counter's lifetime, the generation keys' prefix, today, the hold's
# lifetime, the collectors' and the fund's key prefixes (+ group id).
# The caller part is "<group> <member> <day> <tag> <json>", the others "<day> <tag> <json>";
# a held snapshot is a head line "<group> <member> <day> <five tags>", then a line
# "<part> <json>" for each part that was good when the session began.
LOOK = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local held = redis.call('GET', KEYS[2])
local caller = held or redis.call('GET', KEYS[3])
if not caller then return {count, false, 0, false} end
local group, member = string.match(caller, '^(%d+) (%d+) ')
if not group then return {count, false, 0, false} end
-- The generations' keys are named by the snapshot, so they cannot come in KEYS: fine on
-- the single Redis server Satja runs on (RQ does not run on a cluster either).
local prefix, today = ARGV[2], ARGV[3]
local function gen(name) return redis.call('GET', prefix .. name) or '0' end
local rules = gen(group) .. '.' .. gen('member:' .. member)
local tags = {rules, rules .. '.' .. gen('money:' .. member),
  rules .. '.' .. gen('usual:' .. member), gen('collectors:' .. group), gen('fund:' .. group)}
local head = group .. ' ' .. member .. ' ' .. today .. ' ' .. table.concat(tags, ' ')
if held then return {count, held, 1, head} end
local day, tag, body = string.match(caller, '^%d+ %d+ (%S+) (%S+) (.*)$')
if day ~= today or tag ~= tags[1] then return {count, false, 0, head} end
local lines = {head, 'caller ' .. body}
local others = {{'money', KEYS[4]}, {'usual', KEYS[5]}, {'collectors', ARGV[5] .. group},
  {'fund', ARGV[6] .. group}}
for i, other in ipairs(others) do
  local raw = redis.call('GET', other[2])
  if raw then
    local d, t, b = string.match(raw, '^(%S+) (%S+) (.*)$')
    if d == today and t == tags[i + 1] then lines[#lines + 1] = other[1] .. ' ' .. b end
  end
end
local text = table.concat(lines, string.char(10))
redis.call('SET', KEYS[2], text, 'EX', ARGV[4])
return {count, text, 1, head}
"""
LOOK_SHA = hashlib.sha1(LOOK.encode()).hexdigest()
COLLECTORS = "satja:ussd:collectors:"  # + group id
FUND = "satja:ussd:fund:"  # + group id
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


class Head(NamedTuple):
    """Whose snapshot, the day, and the tag of each part: as held, or as current."""

    # Tuples, as Snapshot and Look: each hop makes them, and a frozen dataclass would set
    # each field through object.__setattr__.

    group_id: int
    member_id: int
    day: str
    tags: dict[str, str]

    @classmethod
    def parse(cls, line: str) -> Head:
        """Read a head line."""
        group, member, day, *tags = line.split(" ")
        if len(tags) != len(PARTS):
            raise ValueError("a snapshot's head has a tag for each part")
        return cls(int(group), int(member), day, dict(zip(PARTS, tags, strict=True)))

    def dump(self) -> str:
        """Write a head line."""
        tags = " ".join(self.tags[part] for part in PARTS)
        return f"{self.group_id} {self.member_id} {self.day} {tags}"


class Snapshot(NamedTuple):
    """A session's held snapshot: its head as the session began, and the parts then good."""

    head: Head
    parts: dict[str, dict[str, Any]]

    @property
    def group_id(self) -> int:
        """The caller's group."""
        return self.head.group_id

    @property
    def fields(self) -> dict[str, Any]:
        """Every figure held, by the menu's names."""
        return {name: value for part in self.parts.values() for name, value in part.items()}

    @classmethod
    def parse(cls, raw: bytes) -> Snapshot:
        """Read one from Redis."""
        head, *lines = raw.decode().split("\n")
        parts = {}
        for line in lines:
            part, body = line.split(" ", 1)
            if part not in PARTS:
                raise ValueError(f"no part {part!r}")
            parts[part] = json.loads(body)
        return cls(Head.parse(head), parts)

    def dump(self) -> str:
        """Write one for Redis."""
        lines = [self.head.dump()]
        lines += [f"{part} {_json(self.parts[part])}" for part in PARTS if part in self.parts]
        return "\n".join(lines)


def _json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=_iso)


class Look(NamedTuple):
    """What Redis held for a hop before it was answered."""

    reachable: bool = False
    over_limit: bool = False
    snapshot: Snapshot | None = None  # the session's held one
    held: bool = False
    current: Head | None = None  # the caller's parts' tags now, read before the database


class HopCache:
    """Caller snapshots in Redis; every call fails soft to the database."""

    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis

    def look(
        self, session_id: str, phone: str, limit: int, today: dt.date, window: int = 60
    ) -> Look:
        """Count the hop and fetch (or take hold of) the session's snapshot, in one round trip."""
        if self._redis is None:
            return Look()
        rate = f"satja:rate:ussd:{phone}:{int(time.time() // window)}"
        keys = (
            rate,
            _held_key(session_id, phone),
            _caller_key(phone),
            _money_key(phone),
            _usual_key(phone),
        )
        args = (window * 2, GENERATION, today.isoformat(), HOLD_TTL, COLLECTORS, FUND)
        try:
            found = self._call(len(keys), *keys, *args)
        except (RedisError, OSError):
            log.warning("ussd cache unavailable", exc_info=True)
            return Look()
        count, raw, held, head = found
        snapshot = current = None
        try:
            current = Head.parse(head.decode()) if head else None
            snapshot = Snapshot.parse(raw) if raw else None
        except ValueError:  # not one we wrote: read the database, and write it anew
            log.warning("ussd snapshot unreadable; reading the database")
            held = 0
        return Look(
            reachable=True,
            over_limit=count > limit,
            snapshot=snapshot if held else None,
            held=bool(held),
            current=current,
        )

    def _call(self, *keys_and_args: object) -> Any:
        """The LOOK script's answer; straight on the connection of a pinned client.

        A pinned client (gateway/extensions/redis.py) is its thread's alone: its command
        layer (lock, retry, timing) was a seventh of a hop answered from Redis, and the
        connection disconnects itself on a socket error (bench/RESULTS.md).
        """
        connection = getattr(self._redis, "connection", None)
        if connection is None:  # a pooled client
            try:
                return self._redis.evalsha(LOOK_SHA, *keys_and_args)
            except NoScriptError:  # a restarted Redis: load it again
                return self._redis.eval(LOOK, *keys_and_args)
        was_open = connection.is_connected
        try:
            return _look_on(connection, keys_and_args)
        except (exceptions.ConnectionError, exceptions.TimeoutError):
            if not was_open:
                raise  # it could not connect, after redis-py's own tries: Redis is away
            # Once more, on a new connection: a restarted Redis, or one that closed this
            # connection while idle (as the command layer retries).
            return _look_on(connection, keys_and_args)

    def keep(
        self,
        look: Look,
        session_id: str,
        phone: str,
        caller: tuple[int, int],
        read: dict[str, Any],
        today: dt.date,
    ) -> None:
        """Add what a hop read from the database to the caller's parts (and the session's)."""
        if not look.reachable:
            return
        group_id, member_id = caller
        day = today.isoformat()
        now = look.current
        writes: dict[str, str] = {}
        held = look.snapshot if look.held and look.snapshot.head.day == day else None
        added: dict[str, dict[str, Any]] = {}
        if now is None or (now.group_id, now.member_id) != caller:
            # No generation of this caller was read before the database: store where the
            # caller belongs, tagged so that it is not trusted; the next hop reads it right.
            writes[_caller_key(phone)] = f"{group_id} {member_id} {day} - {{}}"
        else:
            for part, fields in _parts(read).items():
                same = held is not None and held.head.tags[part] == now.tags[part]
                merged = {**(held.parts.get(part, {}) if same else {}), **fields}
                if same:
                    # Nothing of this part changed since the session took hold: it may use it.
                    added[part] = merged
                prefix = f"{group_id} {member_id} " if part == "caller" else ""
                line = f"{prefix}{day} {now.tags[part]} {_json(merged)}"
                writes[_part_key(part, phone, group_id)] = line
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for key, value in writes.items():
                    pipe.set(key, value, ex=SNAPSHOT_TTL)
                if held is not None and added:
                    text = Snapshot(held.head, {**held.parts, **added}).dump()
                    pipe.set(_held_key(session_id, phone), text, ex=HOLD_TTL, xx=True)
                pipe.execute()
        except (RedisError, OSError):
            log.warning("ussd cache unavailable", exc_info=True)


def _look_on(connection: AbstractConnection, keys_and_args: tuple[object, ...]) -> Any:
    """Run LOOK on one connection, loading it again into a Redis that lost it."""
    try:
        try:
            connection.send_command("EVALSHA", LOOK_SHA, *keys_and_args)
            return connection.read_response()
        except NoScriptError:  # the answer was read whole: the connection is fine
            connection.send_command("EVAL", LOOK, *keys_and_args)
            return connection.read_response()
    except BaseException:
        # Anything between a send and its read (an interrupt, say) would leave a reply
        # unread on a connection kept for the next hop, which would read it as its own:
        # another caller's snapshot. Hang up; the next call connects anew.
        connection.disconnect()
        raise


def _parts(read: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a hop read, by the part each figure belongs to."""
    parts: dict[str, dict[str, Any]] = {}
    for name, value in read.items():
        parts.setdefault(PART_OF[name], {})[name] = _encode(value)
    return parts


def _part_key(part: str, phone: str, group_id: int) -> str:
    if part in ("caller", "money", "usual"):
        return f"satja:ussd:{part}:{phone}"
    return f"{COLLECTORS if part == 'collectors' else FUND}{group_id}"


def _held_key(session_id: str, phone: str) -> str:
    # The phone too: a session's held snapshot never answers for another number.
    return f"satja:ussd:held:{session_id}:{phone}"


def _caller_key(phone: str) -> str:
    return f"satja:ussd:caller:{phone}"


def _money_key(phone: str) -> str:
    return f"satja:ussd:money:{phone}"


def _usual_key(phone: str) -> str:
    return f"satja:ussd:usual:{phone}"
