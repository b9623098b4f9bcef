"""The relay: messages the gateway handed over become the sms queue's jobs.

A USSD hop or an SMS command answers someone waiting on a phone, and at a peak the
gateway's processes are the machine's busiest. So a request does not make RQ jobs: it
hands its committed messages over with one Redis command, in the round trip it makes
anyway to move on what its commit changed, and this process makes the jobs
(workers/outbox.py: one a message, its id fixed). Making a payment's job cost more than
the rest of its confirm hop (docs/ARCHITECTURE.md, bench/RESULTS.md).

Nothing is lost between the two: a message is in the outbox, in the database, before it
is handed over; one the relay never took, or took and could not enqueue, is enqueued by
the cron's sweeper after STRAY_AFTER, as is a job lost in Redis. An id taken twice does
no harm: its job id is fixed, and a worker sends a message once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from redis import Redis
from redis.exceptions import RedisError

from config.logs import current_request_id
from workers import stats
from workers.broker import announce_in
from workers.outbox import enqueue_sends

log = logging.getLogger(__name__)
READY = "satja:outbox:ready"  # a list of message ids, committed, waiting for their job
BATCH = 500  # ids taken at once: one pipeline of jobs
WAIT = 1.0  # seconds a pass waits for an id: how soon the relay sees it is asked to stop
MARK_EVERY = 10.0  # seconds between the relay's marks for /metrics


def hand_over(redis: Redis | None, message_ids: Iterable[int], moved: Iterable[str] = ()) -> int:
    """Give committed messages to the relay in one round trip; without Redis, the sweeper.

    `moved`: generations the same commit moved on (models/changes.py), announced in that
    round trip (a USSD declaration's one call, say).
    """
    ids, moved = list(message_ids), set(moved)
    if redis is None or (not ids and not moved):
        return 0
    try:
        with redis.pipeline(transaction=False) as pipe:
            announce_in(pipe, moved)
            if ids:
                # The request's id rides along, for the job's log lines (workers/outbox.py).
                rid = current_request_id()
                pipe.rpush(READY, *(f"{i} {rid}" if rid else str(i) for i in ids))
            pipe.execute()
    except RedisError:
        # A snapshot the announcement missed expires on its own (SNAPSHOT_TTL).
        log.warning("sms %s: redis unavailable, left for the sweeper", ids)
        return 0
    return len(ids)


def relay_once(redis: Redis, wait: float = 0.0) -> int:
    """Enqueue the jobs of up to BATCH messages handed over; how many (`wait`: s for the first)."""
    entries = []
    if wait:
        first = redis.blpop([READY], timeout=wait)
        if first is None:
            return 0
        entries.append(first[1])
    entries += redis.lpop(READY, BATCH - len(entries)) or ()
    if not entries:
        return 0
    request_ids = {}
    for entry in entries:
        message_id, _, request_id = entry.decode().partition(" ")
        request_ids[int(message_id)] = request_id
    log.info("relay: %s messages to the sms queue", len(request_ids))
    return enqueue_sends(redis, request_ids, request_ids=request_ids)


def relay_all(redis: Redis) -> int:
    """Enqueue every message handed over so far (a burst worker's first step); how many."""
    total = 0
    while taken := relay_once(redis):
        total += taken
    return total


def run(redis: Redis, stopping: Callable[[], bool]) -> None:
    """Relay until asked to stop; Redis away is waited out, not a reason to exit."""
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
