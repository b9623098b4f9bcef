"""The ledger check: running totals against the journal, debits against credits.

`check_ledger` sums the whole journal (the `ledger check` command, the tests). The
nightly job uses `check_since_checkpoint`: the journal's sums per account are kept as
of a checkpoint, and each night adds only the rows inserted since. That is a proof as
good as the full sum because the journal is append-only (triggers refuse UPDATE and
DELETE), and it costs one night's rows instead of the whole year's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column
from sqlalchemy.sql import ColumnElement, Subquery

from models.base import Base
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


def _journal_sums(side: ColumnElement[int]) -> Subquery:
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


def _mismatched_links(session: Session, lo: int = 0, hi: int | None = None) -> list[str]:
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
    in_range = Transfer.id > lo if hi is None else and_(Transfer.id > lo, Transfer.id <= hi)
    ids = session.scalars(
        select(Transfer.id)
        .join(original, or_(resolution, reversal))
        .where(in_range)
        .order_by(Transfer.id)
    ).all()
    return [f"transfer {i} does not mirror the transfer it resolves or reverses" for i in ids]


class CheckpointLine(Base):
    """One account's journal sums up to the checkpoint (derived; rewritten nightly)."""

    __tablename__ = "ledger_checkpoint_lines"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    debits_posted: Mapped[int] = mapped_column(BigInteger)
    credits_posted: Mapped[int] = mapped_column(BigInteger)
    debits_pending: Mapped[int] = mapped_column(BigInteger)
    credits_pending: Mapped[int] = mapped_column(BigInteger)


class Checkpoint(Base):
    """How far the checkpoint lines reach: journal ids up to and including this one."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1: one checkpoint
    upto_transfer_id: Mapped[int] = mapped_column(BigInteger)


SUMS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


def _moves(id_filter: ColumnElement[bool]) -> Subquery:
    """Per account: the four sums moved by the journal rows the filter keeps."""
    t = Transfer
    posted = case((t.phase.in_(POSTED), t.amount), else_=0)
    pending = case(
        (t.phase == Phase.PENDING.value, t.amount),
        (t.phase.in_((Phase.POST.value, Phase.VOID.value)), -t.amount),
        else_=0,
    )
    zero = literal(0, BigInteger)
    sides = union_all(
        select(
            t.debit_account_id.label("account_id"),
            posted.label("dp"),
            zero.label("cp"),
            pending.label("dq"),
            zero.label("cq"),
        ).where(id_filter),
        select(t.credit_account_id.label("account_id"), zero, posted, zero, pending).where(
            id_filter
        ),
    ).subquery()
    return (
        select(
            sides.c.account_id,
            *(func.sum(sides.c[c]).label(c) for c in ("dp", "cp", "dq", "cq")),
        )
        .group_by(sides.c.account_id)
        .subquery()
    )


def check_since_checkpoint(session: Session) -> LedgerCheck:
    """The nightly check: checkpoint + rows since = running totals; then advance it."""
    if session.get_bind().dialect.name == "postgresql":
        # One snapshot for every statement below, so postings meanwhile cannot confuse it.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    mark = session.get(Checkpoint, 1)
    lo = mark.upto_transfer_id if mark else 0
    hi = session.scalar(select(func.coalesce(func.max(Transfer.id), lo)))
    since = _moves(and_(Transfer.id > lo, Transfer.id <= hi))
    c = CheckpointLine
    expected = [
        func.coalesce(getattr(c, n), 0) + func.coalesce(since.c[m], 0)
        for n, m in zip(SUMS, ("dp", "cp", "dq", "cq"), strict=True)
    ]
    actual = [getattr(Account, n) for n in SUMS]
    rows = session.execute(
        select(Group.code, Account.key, *actual, *expected)
        .join(Group, Group.id == Account.group_id)
        .outerjoin(c, c.account_id == Account.id)
        .outerjoin(since, since.c.account_id == Account.id)
        .where(or_(*(a != e for a, e in zip(actual, expected, strict=True))))
        .order_by(Group.code, Account.id)
    ).all()
    result = LedgerCheck()
    for code, key, *figures in rows:
        totals, journal = tuple(figures[:4]), tuple(int(v) for v in figures[4:])
        result.violations.append(
            f"{code} {key}: running totals {totals} differ from the journal {journal}"
            " (debits posted, credits posted, debits pending, credits pending)"
        )
    debits, credits = session.execute(
        select(
            func.coalesce(func.sum(Account.debits_posted), 0),
            func.coalesce(func.sum(Account.credits_posted), 0),
        )
    ).one()
    if debits != credits:
        result.violations.append(f"debits {debits} != credits {credits}")
    result.violations.extend(_mismatched_links(session, lo, hi))
    if result.ok and hi > lo:
        _advance(session, since, hi)
    return result


def _advance(session: Session, since: Subquery, hi: int) -> None:
    """Fold the rows since the checkpoint into it and move the mark to hi."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = CheckpointLine.__table__
    add = insert(table).from_select(
        ["account_id", *SUMS],
        # WHERE true: SQLite needs it to read ON CONFLICT after INSERT ... SELECT.
        select(since.c.account_id, since.c.dp, since.c.cp, since.c.dq, since.c.cq).where(true()),
    )
    session.execute(
        add.on_conflict_do_update(
            index_elements=["account_id"],
            set_={n: table.c[n] + getattr(add.excluded, n) for n in SUMS},
        )
    )
    mark = session.get(Checkpoint, 1)
    if mark is None:
        session.add(Checkpoint(id=1, upto_transfer_id=hi))
    else:
        mark.upto_transfer_id = hi
    session.flush()
