"""Lapse and return: the nightly membership check, run by the named job `lapse`.

A member unpaid for the group's `lapse_days` becomes lapsed (พ้นสภาพ) that night, an
audited status change by the job; 30 days before, they are warned once per gap (a
reminder: quiet hours and STOP apply). A lapsed member who pays up to the day within
the group's `return_within_days` of lapsing is active again the next night, keeping
their years; after that they can only rejoin as new (`rejoin`): a new joining date, a
new waiting period, and what they gave before stays the fund's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actors import Actor, Job
from models.ledger import Account, Code, TransferSpec, create_transfer
from models.registry import Group, Member, RegistryError, Status, record_change
from models.standing import Standing, standing_of

WARN_BEFORE_DAYS = 30
LAPSER = Actor.system(Job.LAPSE)


@dataclass
class LapseRun:
    """What one night's check did in a group."""

    warned: list[int] = field(default_factory=list)  # outbox ids
    lapsed: list[int] = field(default_factory=list)  # member ids
    returned: list[int] = field(default_factory=list)  # member ids


def lapses_on(group: Group, standing: Standing) -> dt.date:
    """The day a member with this standing lapses unless they pay."""
    return standing.paid_through + dt.timedelta(days=group.lapse_days)


def returns_until(group: Group, member: Member) -> dt.date | None:
    """The last day a lapsed member may return by paying up; None when not lapsed."""
    if member.status != Status.LAPSED or member.status_on is None:
        return None
    return member.status_on + dt.timedelta(days=group.return_within_days)


def _standings(session: Session, group: Group, day: dt.date) -> list[tuple[Member, Standing]]:
    """Active and lapsed members with their standing, in one query."""
    rows = session.execute(
        select(Member, Account.credits_posted - Account.debits_posted)
        .join(Account, (Account.member_id == Member.id) & Account.key.like("member:%"))
        .where(
            Member.group_id == group.id,
            Member.status.in_((Status.ACTIVE.value, Status.LAPSED.value)),
        )
        .order_by(Member.number)
    ).all()
    return [(m, standing_of(m, group, int(balance), day)) for m, balance in rows]


def _set(session: Session, member: Member, status: Status, day: dt.date) -> None:
    record_change(session, member, "status", member.status, status.value, LAPSER)
    member.status, member.status_on = status.value, day


Warn = Callable[[Member, Standing, str], int | None]


def check_group(session: Session, group: Group, day: dt.date, warn: Warn) -> LapseRun:
    """One night's check of a group; `warn(member, standing, key)` writes one warning."""
    run = LapseRun()
    for member, standing in _standings(session, group, day):
        behind = standing.days_behind
        if member.status == Status.LAPSED:
            until = returns_until(group, member)
            if behind <= 0 and until is not None and day <= until:
                _set(session, member, Status.ACTIVE, day)
                run.returned.append(member.id)
        elif behind >= group.lapse_days:
            _set(session, member, Status.LAPSED, day)
            run.lapsed.append(member.id)
        elif behind >= group.lapse_days - WARN_BEFORE_DAYS:
            key = f"lapse-warning:{member.id}:{standing.paid_through.isoformat()}"
            if (message_id := warn(member, standing, key)) is not None:
                run.warned.append(message_id)
    session.flush()
    return run


def rejoin(session: Session, member: Member, day: dt.date, by: Actor) -> Member:
    """A lapsed member past the return window joins again as new; what they gave stays given.

    Their balance so far moves to the fund's `rejoined` account, so paid-through counts
    from the new joining day, and the waiting period starts again.
    """
    group = member.group
    until = returns_until(group, member)
    if until is None:
        raise RegistryError("only a lapsed member can rejoin")
    if day <= until:
        raise RegistryError(
            f"still within {group.return_within_days} days of lapsing (until {until}): "
            "paying the arrears returns them with their years"
        )
    account = session.scalars(
        select(Account).where(Account.group_id == group.id, Account.key == f"member:{member.id}")
    ).one()
    if account.credit_balance > 0:
        create_transfer(
            session,
            TransferSpec(
                key=f"rejoin:{member.id}:{day.isoformat()}",
                group_id=group.id,
                debit=f"member:{member.id}",
                credit="rejoined",
                amount=account.credit_balance,
                code=Code.REJOIN,
                business_date=day,
                member_id=member.id,
                note=f"rejoined on {day}; joined first on {member.joined_on}",
                by=by,
            ),
        )
    record_change(session, member, "joined_on", member.joined_on, day, by)
    record_change(session, member, "status", member.status, Status.ACTIVE.value, by)
    member.joined_on, member.status, member.status_on = day, Status.ACTIVE.value, day
    session.flush()
    return member
