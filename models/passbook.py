"""The member's passbook (สมุดบัญชี): contributions, claims, years, beneficiary.

Every contribution is shown with its reference and the paid-through date after it.
Lines come from the journal (transfers naming the member, posted), so the passbook
always agrees with the ledger. A year is a calendar year, as members keep their books.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models.ledger import Account, Phase, Transfer, ref_for
from models.registry import Member
from models.standing import member_standing, paid_through
from models.welfare import Claim, ClaimStatus, whole_years


@dataclass(frozen=True)
class Line:
    """One movement of the member's money, as printed."""

    day: dt.date
    code: str  # contribution, opening, reversal, rejoin, entrance_fee
    ref: str
    amount: int  # satang moved (an entrance fee moves no contribution)
    given: int  # satang into the member's contributions (negative: taken back)
    paid_through: dt.date | None  # after this line; None for a line outside the account


@dataclass(frozen=True)
class ClaimLine:
    """A claim in the year: its event, benefit, amount and where it stands."""

    event_date: dt.date
    benefit: str
    units: int
    amount: int  # satang
    status: str
    ref: str


@dataclass
class Passbook:
    """A member's statement for one calendar year (CE), with their standing today."""

    member: Member
    year: int
    lines: list[Line] = field(default_factory=list)
    claims: list[ClaimLine] = field(default_factory=list)
    years_of_membership: int = 0
    balance: int = 0  # satang, today
    paid_through: dt.date | None = None  # today

    @property
    def given_in_year(self) -> int:
        """Contributions in the year, net of reversals (satang)."""
        return sum(line.given for line in self.lines if line.paid_through is not None)

    @property
    def received_in_year(self) -> int:
        """Welfare paid in the year for the member (satang)."""
        return sum(c.amount for c in self.claims if c.status == ClaimStatus.PAID)


def passbook(session: Session, member: Member, year: int, today: dt.date) -> Passbook:
    """The member's passbook for a calendar year (CE)."""
    debit, credit = aliased(Account), aliased(Account)
    rows = session.execute(
        select(Transfer, debit.key, credit.key)
        .join(debit, debit.id == Transfer.debit_account_id)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(
            Transfer.member_id == member.id,
            Transfer.phase.in_((Phase.SINGLE.value, Phase.POST.value)),
            Transfer.business_date <= dt.date(year, 12, 31),
        )
        .order_by(Transfer.business_date, Transfer.id)
    ).all()
    book = Passbook(member, year)
    rate, balance = member.group.daily_rate_satang, 0
    mine = f"member:{member.id}"
    for transfer, debit_key, credit_key in rows:
        moves = (transfer.amount if credit_key == mine else 0) - (
            transfer.amount if debit_key == mine else 0
        )
        balance += moves
        if transfer.business_date.year != year or transfer.code == "welfare":
            continue
        through = paid_through(member.joined_on, balance, rate) if moves else None
        book.lines.append(
            Line(
                transfer.business_date,
                transfer.code,
                ref_for(transfer.id),
                transfer.amount,
                moves,
                through,
            )
        )
    claims = session.scalars(
        select(Claim)
        .where(
            Claim.member_id == member.id,
            Claim.event_date >= dt.date(year, 1, 1),
            Claim.event_date <= dt.date(year, 12, 31),
        )
        .order_by(Claim.event_date, Claim.id)
    )
    book.claims = [
        ClaimLine(c.event_date, c.benefit, c.units, c.amount, c.status, ref_for(c.id))
        for c in claims
    ]
    standing = member_standing(session, member, today)
    book.years_of_membership = whole_years(member.joined_on, today)
    book.balance, book.paid_through = standing.balance_satang, standing.paid_through
    return book
