"""What the workers and the cron did, counted in Redis for the gateway's /metrics.

RQ forks a process for every job, so per-process metric files would pile up by the
thousand; one Redis hash per counter is shared by every worker on every host and costs
one round trip. Labels are words from fixed sets (an outcome, a kind, a reason class),
never a phone number, a name or a provider's free text. Counting never fails a job: a
Redis that cannot count cannot run RQ either, and the job's own error says so.
"""

from __future__ import annotations

import contextlib
import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PREFIX = "satja:stats:"
COUNTERS = PREFIX + "counters"  # hash: "<name>|<label>" -> count
LAST = PREFIX + "last"  # hash: name -> latest value (a time, a duration)

# A failure reason as the provider or the SDK gives it, folded into a fixed set.
FAILURE_REASONS = {
    "insufficientcredit": "insufficient_credit",
    "insufficientbalance": "insufficient_credit",
    "invalidlinkid": "invalid_link",
    "userisinactive": "user_inactive",
    "userinblacklist": "blacklisted",
    "userinblocklist": "blacklisted",
    "useraccountsuspended": "user_inactive",
    "notnetworksubscriber": "not_subscriber",
    "usernotsubscribedtoproduct": "not_subscriber",
    "userdoesnotexist": "unknown_number",
    "invalidphonenumber": "unknown_number",
    "deliveryfailure": "delivery_failure",
    "rejectedbygateway": "rejected",
    "unsupportednumbertype": "unknown_number",
    "couldnotroute": "could_not_route",
    "internalservererror": "provider_error",
    "gatewayerror": "provider_error",
    "timeout": "timeout",
}


def reason_class(reason: str | None) -> str:
    """The failure reason as one word of a fixed set ("other" for anything unknown)."""
    if not reason:
        return "unknown"
    folded = "".join(ch for ch in reason.lower() if ch.isalpha())
    for known, word in FAILURE_REASONS.items():
        if known in folded:
            return word
    return "other"


def count(redis: Redis | None, name: str, label: str = "", amount: int = 1) -> None:
    """Add to a counter (a name and one label value from a fixed set)."""
    if redis is None:
        return
    with contextlib.suppress(RedisError):
        redis.hincrby(COUNTERS, f"{name}|{label}", amount)


def mark(redis: Redis | None, values: dict[str, float]) -> None:
    """Record the latest value of each named figure (a finishing time, a duration)."""
    if redis is None:
        return
    with contextlib.suppress(RedisError):
        redis.hset(LAST, mapping={k: repr(float(v)) for k, v in values.items()})


def read(redis: Redis) -> tuple[dict[tuple[str, str], int], dict[str, float]]:
    """Every counter by (name, label), and every latest value by name."""
    with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(COUNTERS)
        pipe.hgetall(LAST)
        counters, last = pipe.execute()
    counted = {}
    for key, value in counters.items():
        name, _, label = key.decode().partition("|")
        counted[(name, label)] = int(value)
    return counted, {k.decode(): float(v) for k, v in last.items()}
