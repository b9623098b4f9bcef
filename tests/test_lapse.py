"""Lapse and return: the nightly check (job `lapse`) at its edges, warnings, rejoining."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, give
from sqlalchemy import select

from models.actors import Actor, Job
from models.lapse import check_group, rejoin
from models.ledger import Account, Transfer
from models.outbox import OutboundMessage
from models.registry import MemberChange, RegistryError, Status
from models.standing import member_standing

pytestmark = pytest.mark.clock

JOINED = dt.date(2024, 1, 1)
PAID_DAYS = 300  # paid through 26 Oct 2024
PAID_THROUGH = JOINED + dt.timedelta(days=PAID_DAYS - 1)


@pytest.fixture
def member(session, make_group, make_member):
    group = make_group(lapse_days=90)
    group.name = "กองทุนสวัสดิการบ้านนา"
    group.return_within_days = 60
    person = make_member(group, joined_on=JOINED)
    give(session, person, PAID_DAYS, JOINED, f"given:{person.id}")
    return person


def night(session, member, days_after_paid_through):
    """Run one night's check, days after the paid-through date; what it did, and warnings."""
    warnings = []

    def warn(person, standing, key):
        warnings.append((person.id, standing.days_behind, key))
        return len(warnings)

    day = PAID_THROUGH + dt.timedelta(days=days_after_paid_through)
    return check_group(session, member.group, day, warn), warnings


def test_the_warning_comes_thirty_days_before_lapsing(session, member):
    assert member_standing(session, member, PAID_THROUGH).days_behind == 0
    assert night(session, member, 59) == (night(session, member, 59)[0], [])
    run, warnings = night(session, member, 60)
    assert warnings == [(member.id, 60, f"lapse-warning:{member.id}:{PAID_THROUGH}")]
    assert run.lapsed == [] and member.status == Status.ACTIVE


def test_a_member_lapses_on_the_day_unpaid_reaches_lapse_days(session, member):
    run, _ = night(session, member, 89)
    assert run.lapsed == [] and member.status == Status.ACTIVE
    run, warnings = night(session, member, 90)
    assert run.lapsed == [member.id] and warnings == []
    day = PAID_THROUGH + dt.timedelta(days=90)
    assert (member.status, member.status_on) == (Status.LAPSED, day)
    change = session.scalars(select(MemberChange).where(MemberChange.member_id == member.id)).one()
    assert (change.what, change.old, change.new) == ("status", "active", "lapsed")
    assert change.by == Actor.system(Job.LAPSE)
    assert night(session, member, 91)[0].lapsed == []  # once only


@pytest.mark.parametrize(("after_lapse", "returns"), [(60, True), (61, False)])
def test_paying_up_within_return_within_days_returns_with_the_years(
    session, member, after_lapse, returns
):
    night(session, member, 90)
    lapsed_on = member.status_on
    day = lapsed_on + dt.timedelta(days=after_lapse)
    owed = (day - PAID_THROUGH).days
    give(session, member, owed, day, f"arrears:{member.id}")
    assert member_standing(session, member, day).days_behind == 0
    run, _ = night(session, member, 90 + after_lapse)
    assert (run.returned == [member.id]) is returns
    assert member.status == (Status.ACTIVE if returns else Status.LAPSED)
    assert member.joined_on == JOINED  # returning keeps the years


def test_paying_part_of_the_arrears_does_not_return(session, member):
    night(session, member, 90)
    day = member.status_on + dt.timedelta(days=10)
    give(session, member, (day - PAID_THROUGH).days - 1, day, f"part:{member.id}")
    assert night(session, member, 100)[0].returned == []
    assert member.status == Status.LAPSED


def test_after_the_window_a_member_rejoins_as_new(session, member):
    night(session, member, 90)
    inside = member.status_on + dt.timedelta(days=60)
    with pytest.raises(RegistryError, match="within 60 days"):
        rejoin(session, member, inside, BY)
    day = inside + dt.timedelta(days=1)
    rejoin(session, member, day, BY)
    assert (member.status, member.joined_on, member.status_on) == (Status.ACTIVE, day, day)
    standing = member_standing(session, member, day)
    assert standing.balance_satang == 0 and standing.eligible_on == day + dt.timedelta(days=180)
    set_aside = session.scalars(select(Transfer).where(Transfer.code == "rejoin")).one()
    assert set_aside.amount == PAID_DAYS * 100
    rejoined = session.scalars(select(Account).where(Account.key == "rejoined")).one()
    assert rejoined.credits_posted == PAID_DAYS * 100
    with pytest.raises(RegistryError, match="only a lapsed member"):
        rejoin(session, member, day, BY)


# -- the job, end to end: SMS in the member's language, quiet hours, STOP ------------


def test_the_nightly_job_warns_once_in_thai_keeps_quiet_hours_and_honours_stop(
    runner, db, fund, today
):
    from models.registry import Member

    with db.transaction() as session:
        people = [session.get(Member, fund[who][0]) for who in ("member", "member_en")]
        for person in people:
            person.joined_on = today - dt.timedelta(days=200)
            give(session, person, 140, person.joined_on, f"given:{person.id}")
        people[1].reminders_opt_out = True
    # Paid 140 of 200 days: 61 days behind today, lapsing in 29 (the warning came yesterday).
    first = runner.invoke(args=["members", "lapses"])
    # (The officers of the fixture never paid: they lapse on this first night.)
    assert first.exit_code == 0 and "1 warned, 5 lapsed" in first.output, first.output
    again = runner.invoke(args=["members", "lapses"])
    assert "0 warned" in again.output
    with db.transaction() as session:
        sent = session.scalars(
            select(OutboundMessage).where(OutboundMessage.key.like("lapse-warning:%"))
        ).all()
        assert [m.to_phone for m in sent] == [fund["member"][2]]
        assert sent[0].text == "กองทุนบ้านนา: ค้างส่ง 61 บ. อีก 29 วันจะพ้นสภาพสมาชิกค่ะ"
        assert sent[0].kind == "reminder"
    later = (today + dt.timedelta(days=29)).isoformat()
    lapsed = runner.invoke(args=["members", "lapses", "--date", later])
    assert "2 lapsed" in lapsed.output, lapsed.output
