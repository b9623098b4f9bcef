"""Periodic jobs, declared as data with stable names; run by exactly one cron process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from rq.cron import CronScheduler

from workers.outbox import SMS_QUEUE, sweep_outbox


@dataclass(frozen=True)
class Periodic:
    """A job the cron process enqueues on a fixed interval."""

    name: str
    func: Callable[..., object]
    queue: str
    interval_seconds: int


SCHEDULE = (Periodic("outbox-sweeper", sweep_outbox, SMS_QUEUE, 60),)


def build_cron(redis: Redis) -> CronScheduler:
    """A cron scheduler with every periodic job registered."""
    cron = CronScheduler(connection=redis, name="satja-cron")
    for job in SCHEDULE:
        cron.register(job.func, queue_name=job.queue, interval=job.interval_seconds, name=job.name)
    return cron
