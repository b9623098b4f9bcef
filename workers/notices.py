"""Scheduled messages: monthly reminders, the meeting-day summary, aging notices.

Each message carries a key (reminder:<month>:<member>, ...) so that a job run twice
writes nothing twice; reminders and summaries wait for the end of quiet hours.
"""

from __future__ import annotations

import datetime as dt
import logging

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.names import fund_heading
from gateway.flows.texts import render
from models.clock import local_today
from models.db import Database
from models.figures import count_in_arrears, open_exception_count, received
from models.lapse import Warn, check_group
from models.ledger import Phase, Transfer, ref_for
from models.offices import Office
from models.outbox import MessageKind, queue_once
from models.registry import Group, Member
from models.reports import group_report
from models.standing import Standing, group_standings
from models.users import User
from workers import runtime
from workers.outbox import enqueue_sends
from workers.reconcile import people

log = logging.getLogger(__name__)
REMIND_AFTER_DAYS = 30  # a month unpaid


def _send(
    session: Session, key: str, member: Member, kind: MessageKind, name: str, **values: object
) -> int | None:
    return queue_once(
        session, key, member.phone, render(member.lang, name, **values), kind, member=member
    )


def write_reminders(session: Session, group: Group, today: dt.date) -> list[int]:
    """Remind members a month or more behind (opted-out members are skipped)."""
    written = []
    for member, standing in group_standings(session, group, today):
        if standing.days_behind < REMIND_AFTER_DAYS:
            continue
        message_id = _send(
            session,
            f"reminder:{today:%Y-%m}:{member.id}",
            member,
            MessageKind.REMINDER,
            "reminder",
            group=fund_heading(group.name, group.short_name, code=group.code, lang=member.lang),
            days=standing.days_behind,
            owed=format_baht(standing.owed_satang(group.daily_rate_satang)),
            date=format_date(standing.paid_through, member.lang),
        )
        if message_id is not None:
            written.append(message_id)
    return written


def previous_meeting(day: dt.date, meeting_day: int) -> dt.date:
    """The same meeting day a month earlier."""
    first = day.replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=meeting_day)


def write_meeting_summary(session: Session, group: Group, day: dt.date) -> list[int]:
    """The month since the last meeting, for the committee, on the meeting day."""
    standings = group_standings(session, group, day)
    since, yesterday = previous_meeting(day, group.meeting_day), day - dt.timedelta(days=1)
    figures = {
        "members": len(standings),
        # Since the last meeting, up to yesterday: the summary goes out at 08:00.
        "amount": format_baht(received(session, group, since, yesterday).satang),
        "arrears": count_in_arrears(s for _, s in standings),
        "fund": format_baht(group_report(session, group, day).fund_balance_satang),
        "open": open_exception_count(session, group, day),
    }
    written = []
    for person in people(session, group, {Office.TREASURER, Office.CHAIR, Office.COLLECTOR}, day):
        figures["since"] = format_date(since, person.lang)
        figures["until"] = format_date(yesterday, person.lang)
        message_id = _send(
            session, f"meeting:{day}:{person.id}", person, MessageKind.SUMMARY, "meeting", **figures
        )
        if message_id is not None:
            written.append(message_id)
    return written


def write_aging_notices(session: Session, day: dt.date) -> list[int]:
    """Tell collectors about declarations they have left waiting since before today."""
    p, r = aliased(Transfer), aliased(Transfer)
    rows = session.execute(
        select(p.collector_id, func.count(), func.min(p.business_date), func.min(p.id))
        .where(
            p.phase == Phase.PENDING.value,
            p.business_date < day,
            ~select(r.id).where(r.pending_id == p.id).exists(),
        )
        .group_by(p.collector_id)
    ).all()
    written = []
    for collector_id, count, oldest, first_id in rows:
        collector = session.get(Member, collector_id)
        message_id = _send(
            session,
            f"aging:{day}:{collector_id}",
            collector,
            MessageKind.NOTICE,
            "aging",
            count=count,
            days=(day - _as_date(oldest)).days,
            ref=ref_for(first_id),
        )
        if message_id is not None:
            written.append(message_id)
    return written


def write_learning_day(session: Session, user: User, day: dt.date) -> int | None:
    """Tell a network coordinator where the learning day's table is, once per day."""
    groups = session.scalar(select(func.count()).select_from(Group))
    text = render(user.lang, "learning_day", date=format_date(day, user.lang), count=groups)
    return queue_once(
        session, f"learning-day:{day}:{user.id}", user.phone, text, MessageKind.SUMMARY
    )


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def send_reminders(group_id: int, day: str) -> int:
    """Job: the group's monthly reminders."""
    rt = runtime.current()
    with rt.db.transaction() as session:
        written = write_reminders(session, session.get(Group, group_id), dt.date.fromisoformat(day))
    enqueue_sends(rt.redis, written)
    log.info("reminders group %s %s: %d", group_id, day, len(written))
    return len(written)


def check_lapses(day: str) -> dict[str, int]:
    """Job: the nightly membership check of every group (job `lapse`)."""
    rt = runtime.current()
    return lapse_night(rt.db, rt.redis, dt.date.fromisoformat(day))


def lapse_night(db: Database, redis: Redis, day: dt.date) -> dict[str, int]:
    """Warn, lapse and return members of every group for a night; warnings sent after commit."""
    totals = {"warned": 0, "lapsed": 0, "returned": 0}
    for group_id in _group_ids(db):
        # One transaction a group: a fault in one group leaves the others' nights done.
        with db.transaction() as session:
            group = session.get(Group, group_id)
            run = check_group(session, group, day, _lapse_warner(session, group))
        enqueue_sends(redis, run.warned)
        for name in totals:
            totals[name] += len(getattr(run, name))
    log.info("lapse check %s: %s", day, totals)
    return totals


def _lapse_warner(session: Session, group: Group) -> Warn:
    """One keyed reminder per member and gap (a job run twice writes it once)."""

    def warn(member: Member, standing: Standing, key: str) -> int | None:
        text = render(
            member.lang,
            "lapse_warning",
            group=fund_heading(group.name, group.short_name, code=group.code, lang=member.lang),
            owed=format_baht(standing.owed_satang(group.daily_rate_satang)),
            left=group.lapse_days - standing.days_behind,
        )
        return queue_once(session, key, member.phone, text, MessageKind.REMINDER, member=member)

    return warn


def _group_ids(db: Database) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(Group.id).order_by(Group.id)))


def send_meeting_summary(group_id: int, day: str) -> int:
    """Job: the committee's meeting-day summary."""
    rt = runtime.current()
    with rt.db.transaction() as session:
        group = session.get(Group, group_id)
        written = write_meeting_summary(session, group, dt.date.fromisoformat(day))
    enqueue_sends(rt.redis, written)
    return len(written)


def send_learning_day(user_id: int, day: str) -> int:
    """Job: the learning-day SMS to one network coordinator."""
    rt = runtime.current()
    with rt.db.transaction() as session:
        user = session.get(User, user_id)
        written = [] if user is None or not user.phone or user.disabled_at else None
        if written is None:
            message_id = write_learning_day(session, user, dt.date.fromisoformat(day))
            written = [message_id] if message_id is not None else []
    enqueue_sends(rt.redis, written)
    return len(written)


def send_aging_notices(day: str | None = None) -> int:
    """Job: aging notices to every collector with declarations waiting."""
    rt = runtime.current()
    business_day = dt.date.fromisoformat(day) if day else local_today(rt.settings.timezone)
    with rt.db.transaction() as session:
        written = write_aging_notices(session, business_day)
    enqueue_sends(rt.redis, written)
    return len(written)
