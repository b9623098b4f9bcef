"""The calendar under a frozen clock, stable job ids, and the scheduled messages."""

from __future__ import annotations

import datetime as dt

import pytest
from people import declare
from rq import Queue
from sqlalchemy import select, update

from gateway.flows.dates import format_date
from models.clock import local_today
from models.outbox import OutboundMessage
from models.registry import Group, Member
from workers import runtime
from workers.notices import (
    previous_meeting,
    write_aging_notices,
    write_meeting_summary,
    write_reminders,
)
from workers.schedule import SCHEDULE, GroupDays, due_jobs, enqueue_due, tick

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

BANNA = GroupDays(1, "BANNA", reminder_day=1, meeting_day=16)
LATE = GroupDays(2, "LATE", reminder_day=25, meeting_day=28)


def utc(text):
    """A UTC moment from Bangkok wall-clock time (UTC+7)."""
    return dt.datetime.fromisoformat(text) - dt.timedelta(hours=7)


def ids_at(bangkok, groups=(BANNA, LATE)):
    ids = sorted(d.job_id for d in due_jobs(utc(bangkok), list(groups), "Asia/Bangkok"))
    # The membership check (lapse) runs for the same night as the reconciliation.
    nights = [i.removeprefix("reconcile-") for i in ids if i.startswith("reconcile-")]
    assert [i.removeprefix("lapse-") for i in ids if i.startswith("lapse-")] == nights
    return [i for i in ids if not i.startswith("lapse-")]


@pytest.mark.parametrize(
    ("bangkok", "expected"),
    [
        # LATE reminds on the 25th; the 26th still catches up.
        (
            "2026-11-26 23:29",
            ["aging-2026-11-26", "reconcile-2026-11-25", "reminders-LATE-2026-11"],
        ),
        (
            "2026-11-26 23:30",
            ["aging-2026-11-26", "reconcile-2026-11-26", "reminders-LATE-2026-11"],
        ),
        ("2026-11-16 07:59", ["reconcile-2026-11-15"]),
        (
            "2026-11-16 08:00",
            ["meeting-BANNA-2026-11-16", "reconcile-2026-11-15"],
        ),
        (
            "2026-11-16 09:00",
            ["aging-2026-11-16", "meeting-BANNA-2026-11-16", "reconcile-2026-11-15"],
        ),
        # Month end and the new year: last night is still December's.
        ("2026-12-31 23:45", ["aging-2026-12-31", "reconcile-2026-12-31"]),
        ("2027-01-01 00:10", ["reconcile-2026-12-31"]),
        (
            "2027-01-01 09:00",
            ["aging-2027-01-01", "reconcile-2026-12-31", "reminders-BANNA-2027-01"],
        ),
        # Reminders missed on the 1st are caught up for two more days, not later.
        ("2027-01-03 07:00", ["reconcile-2027-01-02", "reminders-BANNA-2027-01"]),
        ("2027-01-04 07:00", ["reconcile-2027-01-03"]),
        # February has a 28th: LATE's meeting happens; its reminders are 3 days old.
        ("2027-02-28 08:30", ["meeting-LATE-2027-02-28", "reconcile-2027-02-27"]),
    ],
)
def test_what_is_due_when(bangkok, expected):
    assert ids_at(bangkok) == expected


def test_reconciliation_at_2330_bangkok_is_1630_utc():
    (night,) = [
        d
        for d in due_jobs(dt.datetime(2026, 11, 26, 16, 30), [], "Asia/Bangkok")
        if d.job_id.startswith("reconcile")
    ]
    assert night.args == ("2026-11-26",) and night.queue == "ledger"
    (lapse,) = [
        d
        for d in due_jobs(dt.datetime(2026, 11, 26, 16, 30), [], "Asia/Bangkok")
        if d.job_id.startswith("lapse")
    ]
    assert lapse.args == ("2026-11-26",) and lapse.queue == "reports"


def test_previous_meeting_across_month_ends():
    assert previous_meeting(dt.date(2026, 11, 16), 16) == dt.date(2026, 10, 16)
    assert previous_meeting(dt.date(2027, 1, 16), 16) == dt.date(2026, 12, 16)
    assert previous_meeting(dt.date(2027, 3, 28), 28) == dt.date(2027, 2, 28)


def test_scheduling_twice_enqueues_once(redis_conn):
    due = due_jobs(utc("2026-11-16 09:00"), [BANNA], "Asia/Bangkok")
    first = enqueue_due(redis_conn, due)
    assert sorted(first) == sorted(d.job_id for d in due)
    assert enqueue_due(redis_conn, due) == []
    reports = Queue("reports", connection=redis_conn)
    assert reports.job_ids.count("meeting-BANNA-2026-11-16") == 1
    assert Queue("ledger", connection=redis_conn).job_ids == ["reconcile-2026-11-15"]


def test_the_cron_registers_the_sweeper_and_the_calendar():
    assert [(p.name, p.interval_seconds) for p in SCHEDULE] == [
        ("outbox-sweeper", 60),
        ("calendar", 60),
    ]


def test_tick_reads_the_groups_and_enqueues_what_is_due(db, fund, settings, redis_conn):
    runtime.install(settings)
    try:
        enqueued = tick(utc("2026-11-16 08:05").isoformat())
        assert "meeting-BANNA-2026-11-16" in enqueued and "meeting-NAKLANG-2026-11-16" in enqueued
        assert tick(utc("2026-11-16 08:06").isoformat()) == []
    finally:
        runtime.uninstall()


def texts_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage).where(OutboundMessage.to_phone == phone)
        ).all()


def test_reminders_go_to_members_a_month_behind_once(db, fund):
    day = dt.date(2026, 12, 1)
    with db.transaction() as session:
        session.execute(
            update(Member).where(Member.id == fund["member_en"][0]).values(reminders_opt_out=True)
        )
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        written = write_reminders(session, group, day)
    assert written  # everyone joined on 1 Jan and gave nothing
    (reminder,) = texts_to(db, fund["member"][2])
    assert reminder.kind == "reminder"
    # The fund first, so it is not taken for a scam; then what brings the member up to today.
    assert reminder.text == "กองทุนบ้านนา: ค้างส่ง 335 บ. (335 วัน) ส่งผู้เก็บเงินค่ะ"
    assert texts_to(db, fund["member_en"][2]) == []  # STOP honoured
    with db.transaction() as session:
        assert write_reminders(session, session.get(Group, group.id), day) == []


def test_reminders_skip_members_who_are_paid_up(client, db, fund):
    from people import send

    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 365")
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        write_reminders(session, group, dt.date(2026, 12, 1))
    texts = [m.kind for m in texts_to(db, fund["member"][2])]
    assert "reminder" not in texts


def test_the_meeting_day_summary_reaches_the_committee(client, db, fund):
    from people import send

    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30")
    declare(db, fund)
    # Tomorrow's meeting, so today's payment falls in the period it sums up: from the
    # last meeting day to yesterday (today), both named.
    meeting = local_today() + dt.timedelta(days=1)
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        written = write_meeting_summary(session, group, meeting)
    assert len(written) == 3  # treasurer and two collectors
    (summary,) = [m for m in texts_to(db, fund["treasurer"][2]) if m.kind == "summary"]
    assert "สมาชิก 5 คน เก็บได้ 30 บ." in summary.text
    since = previous_meeting(meeting, 16)
    period = f"สรุป {format_date(since, 'th')} ถึง {format_date(local_today(), 'th')}:"
    assert summary.text.startswith(period) and "เรื่องค้าง 1" in summary.text
    (english,) = [m for m in texts_to(db, fund["collector2"][2]) if m.kind == "summary"]
    today = format_date(local_today(), "en")
    assert english.text.startswith(f"{format_date(since, 'en')} to {today}: 5 members")


def test_aging_notices_name_the_oldest_waiting_declaration(db, fund):
    today = local_today()
    ref = declare(db, fund, day=today - dt.timedelta(days=2))
    declare(db, fund, member="member_en", day=today)  # today's: not aging yet
    with db.transaction() as session:
        assert len(write_aging_notices(session, today)) == 1
        assert write_aging_notices(session, today) == []
    (notice,) = [m for m in texts_to(db, fund["collector"][2]) if m.kind == "notice"]
    assert notice.text == f'รอยืนยัน 1 ราย นานสุด 2 วัน ตอบ "ตกลง {ref}"/"ไม่ {ref}"'
