"""Where a member stands: total given, paid-through date, arrears, waiting period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ledger import Account
from models.registry import Group, Member, Status


def paid_through(joined_on: dt.date, balance_satang: int, daily_rate_satang: int) -> dt.date:
    """The last day covered: join date + floor(balance / daily rate) days - 1."""
    return joined_on + dt.timedelta(days=balance_satang // daily_rate_satang - 1)


def days_behind(paid_through_on: dt.date, today: dt.date, joined_on: dt.date | None = None) -> int:
    """Days from the paid-through date to today; negative when paid ahead.

    The day a member joins is theirs to pay on that day: nobody is behind on it.
    """
    behind = (today - paid_through_on).days
    if joined_on is not None and today <= joined_on:
        return min(behind, 0)
    return behind


@dataclass(frozen=True)
class Standing:
    """A member's position on a given day."""

    balance_satang: int
    paid_through: dt.date
    days_behind: int  # negative: paid ahead by that many days
    eligible_on: dt.date  # first day welfare may be paid (end of the waiting period)

    def waiting_days_left(self, today: dt.date) -> int:
        """Days until the waiting period ends (0 once it has)."""
        return max(0, (self.eligible_on - today).days)

    def owed_satang(self, daily_rate_satang: int) -> int:
        """What brings the member up to today: the days behind, less the part-day given."""
        if self.days_behind <= 0:
            return 0
        return self.days_behind * daily_rate_satang - self.balance_satang % daily_rate_satang


def standing_of(member: Member, group: Group, balance_satang: int, today: dt.date) -> Standing:
    """A member's standing from their balance and their group's rules."""
    through = paid_through(member.joined_on, balance_satang, group.daily_rate_satang)
    return Standing(
        balance_satang=balance_satang,
        paid_through=through,
        days_behind=days_behind(through, today, member.joined_on),
        eligible_on=member.joined_on + dt.timedelta(days=group.waiting_days),
    )


def member_standing(session: Session, member: Member, today: dt.date) -> Standing:
    """Load a member's account and group and say where they stand."""
    account = session.scalars(
        select(Account).where(
            Account.group_id == member.group_id, Account.key == f"member:{member.id}"
        )
    ).one()
    return standing_of(member, member.group, account.credit_balance, today)


def group_standings(
    session: Session, group: Group, today: dt.date
) -> list[tuple[Member, Standing]]:
    """Every active member of the group with their standing, in one query."""
    rows = session.execute(
        select(Member, Account.credits_posted - Account.debits_posted)
        .join(Account, (Account.member_id == Member.id) & Account.key.like("member:%"))
        .where(Member.group_id == group.id, Member.status == Status.ACTIVE.value)
        .order_by(Member.number)
    ).all()
    return [(member, standing_of(member, group, int(balance), today)) for member, balance in rows]
