"""The ledger check: running totals against the journal, debits against credits."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.ledger import Account, Phase, Transfer
from models.registry import Group

POSTED = (Phase.SINGLE.value, Phase.POST.value)


@dataclass(frozen=True)
class AccountLine:
    """One account of the trial balance, from its totals and from the journal."""

    group: str
    key: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    journal: tuple[int, int, int, int]  # the same four figures summed from transfers

    @property
    def totals(self) -> tuple[int, int, int, int]:
        """The four running totals, in the journal tuple's order."""
        return (self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending)


@dataclass
class LedgerCheck:
    """The trial balance and every violation found."""

    lines: list[AccountLine] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def debits(self) -> int:
        """Total posted debits over all accounts."""
        return sum(line.debits_posted for line in self.lines)

    @property
    def credits(self) -> int:
        """Total posted credits over all accounts."""
        return sum(line.credits_posted for line in self.lines)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.violations


def _journal_sums(side):  # noqa: ANN001, ANN202
    """Posted and net pending amounts per account on one side of the journal."""
    posted = func.sum(case((Transfer.phase.in_(POSTED), Transfer.amount), else_=0))
    pending = func.sum(
        case(
            (Transfer.phase == Phase.PENDING.value, Transfer.amount),
            (Transfer.phase.in_((Phase.POST.value, Phase.VOID.value)), -Transfer.amount),
            else_=0,
        )
    )
    return (
        select(side.label("account_id"), posted.label("posted"), pending.label("pending"))
        .group_by(side)
        .subquery()
    )


def check_ledger(session: Session) -> LedgerCheck:
    """Prove running totals equal the journal and debits equal credits, in SQL."""
    debits = _journal_sums(Transfer.debit_account_id)
    credits = _journal_sums(Transfer.credit_account_id)
    rows = session.execute(
        select(
            Group.code,
            Account.key,
            Account.debits_posted,
            Account.credits_posted,
            Account.debits_pending,
            Account.credits_pending,
            func.coalesce(debits.c.posted, 0),
            func.coalesce(credits.c.posted, 0),
            func.coalesce(debits.c.pending, 0),
            func.coalesce(credits.c.pending, 0),
        )
        .join(Group, Group.id == Account.group_id)
        .outerjoin(debits, debits.c.account_id == Account.id)
        .outerjoin(credits, credits.c.account_id == Account.id)
        .order_by(Group.code, Account.id)
    ).all()
    result = LedgerCheck()
    for row in rows:
        line = AccountLine(*row[:6], journal=tuple(int(v) for v in row[6:]))
        result.lines.append(line)
        if line.totals != line.journal:
            result.violations.append(
                f"{line.group} {line.key}: running totals {line.totals}"
                f" differ from the journal {line.journal}"
                " (debits posted, credits posted, debits pending, credits pending)"
            )
    journal_debits = sum(line.journal[0] for line in result.lines)
    journal_credits = sum(line.journal[1] for line in result.lines)
    if result.debits != result.credits or journal_debits != journal_credits:
        result.violations.append(
            f"debits {result.debits} != credits {result.credits}"
            f" (journal: {journal_debits} / {journal_credits})"
        )
    result.violations.extend(_mismatched_links(session))
    return result


def _mismatched_links(session: Session) -> list[str]:
    """Posts, voids and reversals that do not mirror the transfer they name."""
    original = aliased(Transfer)
    resolution = and_(
        Transfer.pending_id == original.id,
        or_(
            original.phase != Phase.PENDING.value,
            Transfer.amount != original.amount,
            Transfer.debit_account_id != original.debit_account_id,
            Transfer.credit_account_id != original.credit_account_id,
        ),
    )
    reversal = and_(
        Transfer.reversal_of == original.id,
        or_(
            original.phase.not_in(POSTED),
            Transfer.amount != original.amount,
            Transfer.debit_account_id != original.credit_account_id,
            Transfer.credit_account_id != original.debit_account_id,
        ),
    )
    ids = session.scalars(
        select(Transfer.id).join(original, or_(resolution, reversal)).order_by(Transfer.id)
    ).all()
    return [f"transfer {i} does not mirror the transfer it resolves or reverses" for i in ids]
