"""Periodic jobs, declared as data with stable ids; run by exactly one cron process.

RQ's cron scheduler enqueues two things every minute: the outbox sweeper, and the
calendar tick. The tick asks `due_jobs` (a pure function of the time in Asia/Bangkok
and each group's days) what is due, and enqueues each due job once: its id is stable
(reconcile-2026-11-26, meeting-NAMKHAO-2026-11-16, ...) and a Redis marker set with NX
makes a second tick, or a second cron process, enqueue nothing. A missed time is caught
up while it still makes sense (last night's reconciliation and backup; reminders within
3 days). Each tick also leaves its time in Redis: /metrics shows when the cron last ran.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from sqlalchemy import select

from models.base import utcnow
from models.registry import Group
from models.users import DEFAULT_NETWORK_MEETING_DAY, coordinators
from workers import runtime, stats
from workers.backups import nightly_backup
from workers.notices import (
    check_lapses,
    send_aging_notices,
    send_learning_day,
    send_meeting_summary,
    send_reminders,
)
from workers.outbox import SMS_QUEUE, sweep_outbox
from workers.reconcile import LEDGER_QUEUE, reconcile_night

REPORTS_QUEUE = "reports"
NIGHTLY_AT = dt.time(23, 30)
REMINDERS_AT = dt.time(9, 0)
MEETING_AT = dt.time(8, 0)
AGING_AT = dt.time(9, 0)
BACKUP_AT = dt.time(1, 0)  # after the night's reconciliation, before anyone pays
BACKUP_TIMEOUT = 3 * 3600  # a national database dumps for a while; RQ's 3 minutes would kill it
REMINDER_CATCH_UP_DAYS = 3
MARKER_TTL = dt.timedelta(days=40)  # longer than any catch-up window


@dataclass(frozen=True)
class Periodic:
    """A job the cron process enqueues on a fixed interval."""

    name: str
    func: Callable[..., object]
    queue: str
    interval_seconds: int


@dataclass(frozen=True)
class GroupDays:
    """The days of the month a group's scheduled messages go out."""

    id: int
    code: str
    reminder_day: int
    meeting_day: int


@dataclass(frozen=True)
class NetworkDays:
    """A network coordinator and the day of the month of the network's learning day."""

    user_id: int
    meeting_day: int


@dataclass(frozen=True)
class Due:
    """A job due now, with the id that makes enqueuing it idempotent."""

    job_id: str
    func: Callable[..., object]
    args: tuple[object, ...]
    queue: str
    timeout: int | None = None  # seconds; RQ's default (180) when None


def due_jobs(
    now: dt.datetime,
    groups: list[GroupDays],
    timezone: str,
    networks: tuple[NetworkDays, ...] | list[NetworkDays] = (),
    *,
    backup: bool = False,
) -> list[Due]:
    """What is due at this moment (UTC, naive), by the calendar in the fund's time zone."""
    local = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    today, clock = local.date(), local.time()
    night = today if clock >= NIGHTLY_AT else today - dt.timedelta(days=1)
    due = [
        Due(f"reconcile-{night}", reconcile_night, (night.isoformat(),), LEDGER_QUEUE),
        # Lapses and their warnings, for the same night (job `lapse`, models/lapse.py).
        Due(f"lapse-{night}", check_lapses, (night.isoformat(),), REPORTS_QUEUE),
    ]
    if backup:
        last = today if clock >= BACKUP_AT else today - dt.timedelta(days=1)
        due.append(
            Due(f"backup-{last}", nightly_backup, (last.isoformat(),), LEDGER_QUEUE, BACKUP_TIMEOUT)
        )
    if clock >= AGING_AT:
        due.append(Due(f"aging-{today}", send_aging_notices, (today.isoformat(),), SMS_QUEUE))
    for g in groups:
        late = today.day - g.reminder_day
        if 0 < late < REMINDER_CATCH_UP_DAYS or (late == 0 and clock >= REMINDERS_AT):
            due.append(
                Due(
                    f"reminders-{g.code}-{today:%Y-%m}",
                    send_reminders,
                    (g.id, today.isoformat()),
                    REPORTS_QUEUE,
                )
            )
        if today.day == g.meeting_day and clock >= MEETING_AT:
            due.append(
                Due(
                    f"meeting-{g.code}-{today}",
                    send_meeting_summary,
                    (g.id, today.isoformat()),
                    REPORTS_QUEUE,
                )
            )
    for n in networks:
        if today.day == n.meeting_day and clock >= MEETING_AT:
            due.append(
                Due(
                    f"learning-day-{n.user_id}-{today}",
                    send_learning_day,
                    (n.user_id, today.isoformat()),
                    REPORTS_QUEUE,
                )
            )
    return due


def enqueue_due(redis: Redis, due: list[Due]) -> list[str]:
    """Enqueue each due job unless its marker says it was; the ids enqueued now."""
    enqueued = []
    for job in due:
        marker = f"satja:due:{job.job_id}"
        if not redis.set(marker, "1", nx=True, ex=MARKER_TTL):
            continue
        try:
            Queue(job.queue, connection=redis).enqueue(
                job.func, *job.args, job_id=job.job_id, job_timeout=job.timeout
            )
        except Exception:
            redis.delete(marker)  # let the next tick try again
            raise
        enqueued.append(job.job_id)
    return enqueued


def tick(now: str | None = None) -> list[str]:
    """Job, every minute: enqueue whatever the calendar says is due."""
    rt = runtime.current()
    with rt.db.transaction() as session:
        groups = [
            GroupDays(g.id, g.code, g.reminder_day, g.meeting_day)
            for g in session.scalars(select(Group).order_by(Group.code))
        ]
        networks = [
            NetworkDays(u.id, u.network_meeting_day or DEFAULT_NETWORK_MEETING_DAY)
            for u in coordinators(session)
        ]
    moment = dt.datetime.fromisoformat(now) if now else utcnow()
    stats.mark(rt.redis, {"cron_last_tick": time.time()})  # wall clock: Prometheus compares it
    backup = rt.settings.backup_dir is not None
    due = due_jobs(moment, groups, rt.settings.timezone, networks, backup=backup)
    return enqueue_due(rt.redis, due)


SCHEDULE = (
    Periodic("outbox-sweeper", sweep_outbox, SMS_QUEUE, 60),
    Periodic("calendar", tick, REPORTS_QUEUE, 60),
)


def build_cron(redis: Redis) -> CronScheduler:
    """A cron scheduler with every periodic job registered."""
    cron = CronScheduler(connection=redis, name="satja-cron")
    for job in SCHEDULE:
        cron.register(job.func, queue_name=job.queue, interval=job.interval_seconds, name=job.name)
    return cron
