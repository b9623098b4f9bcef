"""The figures people act on, each computed in one place and net of every correction.

SUM, the meeting-day summary, the nightly summaries, the dashboard's cards and chart
and `report group` all read these functions, so that no two of them can disagree.
Money received is what moved the members' accounts: contributions posted (a PAY, or a
declaration once its collector said OK) less the reversals of contributions (an UNDO,
a committee's reversal), each on its own business date. A declaration still waiting or
rejected moved nothing and counts nowhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.ledger import Account, Code, Phase, Transfer
from models.reconcile import open_exceptions
from models.registry import Group
from models.standing import Standing

POSTED = (Phase.SINGLE.value, Phase.POST.value)
# More than a month behind is "in arrears": the same limit past which welfare's default
# schedule refuses a claim (max_days_behind = 30), so nobody is in arrears yet eligible.
ARREARS_AFTER_DAYS = 30


@dataclass(frozen=True)
class Received:
    """Payments received, net: how many and how much (satang)."""

    count: int = 0
    satang: int = 0

    def __add__(self, other: Received) -> Received:
        return Received(self.count + other.count, self.satang + other.satang)


def in_arrears(standing: Standing) -> bool:
    """Whether a member counts as in arrears (more than ARREARS_AFTER_DAYS behind)."""
    return standing.days_behind > ARREARS_AFTER_DAYS


def count_in_arrears(standings: Iterable[Standing]) -> int:
    """How many of these standings are in arrears."""
    return sum(1 for standing in standings if in_arrears(standing))


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def received_by_day(
    session: Session,
    group: Group,
    first: dt.date | None,
    last: dt.date,
    *,
    collector_id: int | None = None,
) -> dict[dt.date, Received]:
    """Net payments received per business date in [first, last] (first None: since ever)."""
    t, original = aliased(Transfer), aliased(Transfer)

    def within(*where: object) -> list[object]:
        return [
            t.group_id == group.id,
            t.business_date <= last,
            *([t.business_date >= first] if first else []),
            *([t.collector_id == collector_id] if collector_id is not None else []),
            *where,
        ]

    taken = session.execute(
        select(t.business_date, func.count(), func.sum(t.amount))
        .where(*within(t.code == Code.CONTRIBUTION.value, t.phase.in_(POSTED)))
        .group_by(t.business_date)
    ).all()
    undone = session.execute(
        select(t.business_date, func.count(), func.sum(t.amount))
        .join(original, original.id == t.reversal_of)
        .where(*within(original.code == Code.CONTRIBUTION.value))
        .group_by(t.business_date)
    ).all()
    days: dict[dt.date, Received] = {}
    for rows, sign in ((taken, 1), (undone, -1)):
        for day, count, amount in rows:
            day = _as_date(day)
            days[day] = days.get(day, Received()) + Received(sign * count, sign * int(amount))
    return days


def received(
    session: Session,
    group: Group,
    first: dt.date | None,
    last: dt.date,
    *,
    collector_id: int | None = None,
) -> Received:
    """Net payments received with a business date in [first, last], optionally one collector's."""
    days = received_by_day(session, group, first, last, collector_id=collector_id)
    return sum(days.values(), Received())


def received_by_month(
    session: Session, group: Group, today: dt.date, months: int = 12
) -> list[tuple[dt.date, int]]:
    """(first of month, satang received net) for the last `months` months, oldest first."""
    starts = [today.replace(day=1)]
    while len(starts) < months:
        starts.append((starts[-1] - dt.timedelta(days=1)).replace(day=1))
    starts.reverse()
    totals = dict.fromkeys(starts, 0)
    for day, got in received_by_day(session, group, starts[0], today).items():
        totals[day.replace(day=1)] += got.satang
    return list(totals.items())


def cash_with_collectors(session: Session, group: Group, collector_id: int | None = None) -> int:
    """Cash in collectors' hands (satang): the group's, or one collector's."""
    key = f"collector_cash:{collector_id}" if collector_id is not None else "collector_cash:%"
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Account.debits_posted - Account.credits_posted), 0))
            .where(Account.group_id == group.id, Account.key.like(key))
            .execution_options(populate_existing=True)
        )
    )


def waiting_declarations(
    session: Session, group: Group, collector_id: int | None = None
) -> Received:
    """Declarations not yet confirmed or rejected: how many and how much (satang)."""
    resolution = aliased(Transfer)
    count, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.group_id == group.id,
            Transfer.phase == Phase.PENDING.value,
            *([Transfer.collector_id == collector_id] if collector_id is not None else []),
            ~select(resolution.id).where(resolution.pending_id == Transfer.id).exists(),
        )
    ).one()
    return Received(int(count), int(amount))


def open_exception_count(session: Session, group: Group, day: dt.date) -> int:
    """How many reconciliation exceptions are open now (as the dashboard lists them)."""
    return len(open_exceptions(session, group, day))
