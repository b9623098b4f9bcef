"""The relay: messages the gateway handed over become the sms queue's jobs.

A USSD hop or an SMS command answers someone waiting on a phone, and at a peak the
gateway's processes are the machine's busiest. So a request does not make RQ jobs: it
hands its committed messages over with one Redis command, in the round trip it makes
anyway to move on what its commit changed, and this process makes the jobs
(workers/outbox.py: one a message, its id fixed). Making a payment's job was 40% of its
confirm hop's CPU and 9% of a payment session's instructions (bench/RESULTS.md).

Nothing is lost between the two: a message is in the outbox, in the database, before it
is handed over; one the relay never took, or took and could not enqueue, is enqueued by
the cron's sweeper after STRAY_AFTER, as is a job lost in Redis; an entry older than
that is the sweeper's, and the relay leaves it. An id taken twice does no harm: a
worker claims a message before it sends it, and sends it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable

from redis import Redis
from redis.exceptions import RedisError

from config.logs import current_request_id
from models.base import utcnow
from workers import stats
from workers.broker import announce_in
from workers.outbox import STRAY_AFTER, enqueue_sends

log = logging.getLogger(__name__)
READY = "satja:outbox:ready"  # a list of message ids, committed, waiting for their job
BATCH = 500  # ids taken at once: one pipeline of jobs
WAIT = 1.0  # seconds a pass waits for an id: how soon the relay sees it is asked to stop
MARK_EVERY = 10.0  # seconds between the relay's marks for /metrics


def hand_over(redis: Redis | None, message_ids: Iterable[int], moved: Iterable[str] = ()) -> int:
    """Give committed messages to the relay, and announce `moved`, in one round trip."""
    # `moved`: generations the same commit moved on (models/changes.py). Without Redis,
    # the sweeper sends the messages.
    ids, moved = list(message_ids), set(moved)
    if redis is None or (not ids and not moved):
        return 0
    try:
        with redis.pipeline(transaction=False) as pipe:
            announce_in(pipe, moved)
            if ids:
                # When (an id the sweeper has taken over is left), and the request's id
                # for the job's log lines (workers/outbox.py).
                tail = f" {_seconds()} {current_request_id() or ''}".rstrip()
                pipe.rpush(READY, *(f"{i}{tail}" for i in ids))
            pipe.execute()
    except RedisError:
        # A snapshot the announcement missed expires on its own (SNAPSHOT_TTL).
        log.warning("sms %s: redis unavailable, left for the sweeper", ids)
        return 0
    return len(ids)


def _seconds() -> int:
    """The app clock's now, in whole seconds since 1970 (a hand-over's time)."""
    return int(utcnow().replace(tzinfo=dt.UTC).timestamp())


def _read(entries: Iterable[bytes], now: int) -> dict[int, str]:
    """The message ids to enqueue now, with their request ids; stale and odd entries left."""
    fresh = {}
    for entry in entries:
        try:
            message_id, at, request_id = (entry.decode() + "  ").split(" ", 2)
            if now - int(at) > STRAY_AFTER.total_seconds():
                continue  # the sweeper's by now: enqueued again, it would run twice
            fresh[int(message_id)] = request_id.strip()
        except ValueError:
            log.warning("relay: an entry that is not a message's, dropped: %r", entry[:80])
    return fresh


def relay_once(redis: Redis, wait: float = 0.0) -> int:
    """Take up to BATCH entries handed over and enqueue their jobs; how many it took."""
    # `wait`: seconds to wait for the first.
    entries = []
    if wait:
        first = redis.blpop([READY], timeout=wait)
        if first is None:
            return 0
        entries.append(first[1])
    entries += redis.lpop(READY, BATCH - len(entries)) or ()
    fresh = _read(entries, _seconds())
    if fresh:
        log.info("relay: %s messages to the sms queue", len(fresh))
        enqueue_sends(redis, list(fresh), request_ids=fresh)
    return len(entries)


def relay_all(redis: Redis) -> int:
    """Enqueue every message handed over so far (a burst worker's first step); entries taken."""
    total = 0
    while taken := relay_once(redis):
        total += taken
    return total


def run(redis: Redis, stopping: Callable[[], bool]) -> None:
    """Relay until asked to stop; no error ends it (Redis away is waited out)."""
    log.info("relay: making the jobs of the messages handed over at %s", READY)
    marked = 0.0
    while not stopping():
        try:
            relay_once(redis, wait=WAIT)
            if time.monotonic() - marked >= MARK_EVERY:
                stats.mark(redis, {"relay_last_pass": time.time()})  # wall clock, as the cron's
                marked = time.monotonic()
        except RedisError as error:
            log.warning("relay: redis unavailable (%s); trying again", error)
            time.sleep(WAIT)
        except Exception:  # a bug must not stop the receipts: the batch is the sweeper's
            log.exception("relay: a pass failed; going on")
            time.sleep(WAIT)
