"""The double-entry ledger: accounts with running totals and an append-only journal.

Modelled on TigerBeetle: a transfer moves an integer amount of satang from one debit
account to one credit account; it carries a client-chosen idempotency key; pending
transfers are posted or voided by a second transfer at most once; a correction is a
reversal transfer, at most one per original. The API flushes and never commits: the
request or job that calls it owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Executable,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    exists,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import Insert

from models.actors import Actor, stored
from models.base import (
    Base,
    BigId,
    fund_generation,
    money_generation,
    touch,
    usual_generation,
    utcnow,
)
from models.references import id_for_ref as id_for_ref  # callers find it here too
from models.references import ref_for


class Code(enum.StrEnum):
    """Why money moved."""

    CONTRIBUTION = "contribution"  # a member's gift, cash to a collector
    OPENING = "opening"  # a balance brought over from the paper notebook
    HANDOVER = "handover"  # a collector's cash handed to the treasurer
    MATCHING = "matching"  # money from local government, CODI, donors
    WELFARE = "welfare"  # a benefit paid to a member
    EXPENSE = "expense"  # administration
    ENTRANCE_FEE = "entrance_fee"
    REJOIN = "rejoin"  # a lapsed member's past gifts set aside when they join again
    REVERSAL = "reversal"


class Phase(enum.StrEnum):
    """How a journal row moves the running totals."""

    SINGLE = "single"  # posted at once
    PENDING = "pending"  # reserved, waiting for a post or a void
    POST = "post"  # posts an earlier pending transfer
    VOID = "void"  # voids an earlier pending transfer


class Refusal(enum.StrEnum):
    """Business rules that can refuse a transfer; a refused key stays refused."""

    OVERDRAFT = "overdraft"  # an account that may not go below zero would
    PENDING_NOT_FOUND = "pending_not_found"
    NOT_PENDING = "not_pending"
    ALREADY_RESOLVED = "already_resolved"  # the pending transfer was posted or voided
    NOT_REVERSIBLE = "not_reversible"
    ALREADY_REVERSED = "already_reversed"


class LedgerError(Exception):
    """A call the ledger cannot take: nothing was written."""


class InvalidTransfer(LedgerError, ValueError):
    """The transfer is malformed (amount, accounts, key)."""


class IdempotencyConflict(LedgerError):
    """The key was used before with a different body."""

    def __init__(self, key: str, field: str, before: object, now: object) -> None:
        super().__init__(f"key {key!r} was used with {field}={before!r}, not {now!r}")
        self.key, self.field, self.before, self.now = key, field, before, now


# Account keys: member:<id>, collector_cash:<id>, fund_bank, matching:<source>,
# welfare:<benefit>, admin_expense.
ACCOUNT_KEY = re.compile(
    r"(member|collector_cash):[1-9][0-9]{0,17}|fund_bank|admin_expense|rejoined|entrance_fee"
    r"|(matching|welfare):[a-z][a-z0-9_]{0,29}"
)
MAX_KEY_LENGTH = 64


class Account(Base):
    """One account of a group's chart, with running totals kept beside the journal."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("group_id", "key", name="uq_accounts_group_key"),
        CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0"
            " AND debits_pending >= 0 AND credits_pending >= 0",
            name="totals_not_negative",
        ),
        # The database itself refuses a member or a collector going below zero.
        CheckConstraint(
            "NOT debits_must_not_exceed_credits"
            " OR debits_posted + debits_pending <= credits_posted",
            name="debits_within_credits",
        ),
        CheckConstraint(
            "NOT credits_must_not_exceed_debits"
            " OR credits_posted + credits_pending <= debits_posted",
            name="credits_within_debits",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    key: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(Boolean, default=False)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def credit_balance(self) -> int:
        """Posted credits less posted debits (a member's total given)."""
        return self.credits_posted - self.debits_posted

    @property
    def debit_balance(self) -> int:
        """Posted debits less posted credits (cash in a collector's hand)."""
        return self.debits_posted - self.credits_posted


class Transfer(Base):
    """One journal row; never updated or deleted (database triggers refuse it)."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        CheckConstraint("phase IN ('single', 'pending', 'post', 'void')", name="phase_known"),
        CheckConstraint(
            "(phase IN ('post', 'void')) = (pending_id IS NOT NULL)",
            name="resolution_names_pending",
        ),
        CheckConstraint("reversal_of IS NULL OR phase = 'single'", name="reversal_is_single"),
        Index("ix_transfers_group_date", "group_id", "business_date"),
        Index("ix_transfers_debit_account", "debit_account_id"),
        Index("ix_transfers_credit_account", "credit_account_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(8))
    # Unique: a pending transfer resolves at most once, a transfer reverses at most once.
    pending_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    reversal_of: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Who moved the money (models/actors.py); empty only on rows from before migration 0016.
    by_member_id: Mapped[int | None] = mapped_column(BigId, default=None)
    by_job: Mapped[str | None] = mapped_column(String(16), default=None)

    @property
    def by(self) -> Actor | None:
        """Who moved the money."""
        return stored(self.by_member_id, self.by_job)

    @property
    def ref(self) -> str:
        """The short reference people see and type, e.g. 00K7."""
        return ref_for(self.id)


class RefusedTransfer(Base):
    """A key refused by a business rule, kept so that it stays refused."""

    __tablename__ = "transfer_refusals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


@dataclass(frozen=True)
class TransferSpec:
    """What a caller asks the ledger to move."""

    key: str
    group_id: int
    debit: str
    credit: str
    amount: int
    code: str
    business_date: dt.date
    member_id: int | None = None
    collector_id: int | None = None
    note: str | None = None
    by: Actor | None = None  # required: who moves the money


@dataclass(frozen=True)
class Outcome:
    """What became of a transfer request."""

    transfer: Transfer | None = None
    refused: Refusal | None = None
    detail: str | None = None
    replayed: bool = False  # True when the key had been seen and nothing was written

    @property
    def ok(self) -> bool:
        """True when the transfer exists in the journal."""
        return self.transfer is not None


def account_flags(key: str) -> dict[str, Any]:
    """Limits and owner of an account, from its key."""
    kind, _, rest = key.partition(":")
    return {
        "member_id": int(rest) if kind in ("member", "collector_cash") else None,
        "debits_must_not_exceed_credits": kind == "member",
        # Cash in a collector's hand and money in the bank cannot go below zero.
        "credits_must_not_exceed_debits": kind in ("collector_cash", "fund_bank"),
    }


def _insert(session: Session, model: type[Base]) -> Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


# PostgreSQL's fast path for a new transfer: one call to a function (migration 0002)
# that locks, checks, inserts and moves the totals in one round trip, or returns
# nothing when the general path must decide.
POST_IN_ONE_STATEMENT = """
SELECT * FROM satja_post_transfer(
    CAST(:group_id AS BIGINT), CAST(:debit_key AS VARCHAR), CAST(:credit_key AS VARCHAR),
    CAST(:amount AS BIGINT), CAST(:phase AS VARCHAR), CAST(:key AS VARCHAR),
    CAST(:code AS VARCHAR), CAST(:member_id AS BIGINT), CAST(:collector_id AS BIGINT),
    CAST(:business_date AS DATE), CAST(:note AS VARCHAR), CAST(:created_at AS TIMESTAMP),
    CAST(:by_member_id AS BIGINT), CAST(:by_job AS VARCHAR)
)
"""


def _post_in_one(session: Session, spec: TransferSpec, phase: Phase) -> Transfer | None:
    """The PostgreSQL fast path; None when the general path must decide."""
    params = {
        "group_id": spec.group_id,
        "debit_key": spec.debit,
        "credit_key": spec.credit,
        "key": spec.key,
        "amount": spec.amount,
        "code": str(spec.code),
        "phase": phase.value,
        "member_id": spec.member_id,
        "collector_id": spec.collector_id,
        "business_date": spec.business_date,
        "note": spec.note,
        "created_at": utcnow(),
        **_by(spec.by),
    }
    transfer = session.scalars(_statement("post_in_one"), params).first()
    if transfer is not None:
        # Accounts this session already holds are stale now.
        for account_id in (transfer.debit_account_id, transfer.credit_account_id):
            held = session.identity_map.get(identity_key(Account, account_id))
            if held is not None:
                session.expire(held)
    return transfer


def _insert_transfer(dialect: str) -> Executable:
    """INSERT a journal row unless its key is taken or was refused; RETURNING it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Transfer.__table__
    columns = [c for c in table.c if c.name != "id"]
    # Parameters are named t_<column> so that they never leak into the UPDATE beside it.
    row = select(*(bindparam(f"t_{c.name}", type_=c.type) for c in columns)).where(
        ~exists().where(RefusedTransfer.key == bindparam("t_key"))
    )
    return (
        insert(table)
        .from_select([c.name for c in columns], row)
        .on_conflict_do_nothing()
        .returning(*table.c)
    )


def _apply_totals() -> Executable:
    """UPDATE both accounts' running totals by the posted and pending deltas."""
    t = Account.__table__
    debit, credit = bindparam("debit"), bindparam("credit")
    posted, pending = bindparam("posted"), bindparam("pending")
    return (
        t.update()
        .where(t.c.id.in_([debit, credit]))
        .values(
            debits_posted=t.c.debits_posted + case((t.c.id == debit, posted), else_=0),
            credits_posted=t.c.credits_posted + case((t.c.id == credit, posted), else_=0),
            debits_pending=t.c.debits_pending + case((t.c.id == debit, pending), else_=0),
            credits_pending=t.c.credits_pending + case((t.c.id == credit, pending), else_=0),
        )
    )


# The posting path runs thousands of times a second: its statements are built once,
# on first use, with bound parameters, so SQLAlchemy's compiled cache does the rest.
@cache
def _statement(name: str, dialect: str = "") -> Executable:
    if name == "lock_keys":
        return (
            select(Account)
            .where(
                Account.group_id == bindparam("group_id"),
                Account.key.in_(bindparam("keys", expanding=True)),
            )
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if name == "lock_ids":
        return (
            select(Account)
            .where(Account.id.in_(bindparam("ids", expanding=True)))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if name == "transfer_by_key":
        return select(Transfer).where(Transfer.key == bindparam("key"))
    if name == "refusal_by_key":
        return select(RefusedTransfer).where(RefusedTransfer.key == bindparam("key"))
    if name == "insert_transfer":
        return select(Transfer).from_statement(_insert_transfer(dialect))
    if name == "apply":
        return _apply_totals()
    if name == "post_in_one":
        return select(Transfer).from_statement(
            text(POST_IN_ONE_STATEMENT).columns(*Transfer.__table__.c)
        )
    if name == "insert_and_apply":
        # PostgreSQL runs both in one round trip; the totals move only if the row went in.
        inserted = _insert_transfer(dialect).cte("inserted")
        moved = (
            _apply_totals()
            .where(exists(select(inserted.c.id)))
            .returning(Account.__table__.c.id)
            .cte("moved")
        )
        return select(Transfer).from_statement(select(inserted).add_cte(moved))
    raise KeyError(name)


def ensure_accounts(session: Session, group_id: int, keys: list[str]) -> None:
    """Create the named accounts of a group unless they exist."""
    for key in keys:
        if not ACCOUNT_KEY.fullmatch(key):
            raise InvalidTransfer(f"unknown account {key!r}")
    rows = [{"group_id": group_id, "key": k, **account_flags(k)} for k in keys]
    stmt = _insert(session, Account).values(rows).on_conflict_do_nothing()
    session.execute(stmt)


def _lock(session: Session, group_id: int, keys: list[str]) -> dict[str, Account]:
    """Lock the accounts in id order (no deadlocks) and return them fresh."""
    params = {"group_id": group_id, "keys": keys}
    found = {a.key: a for a in session.scalars(_statement("lock_keys"), params)}
    missing = [k for k in keys if k not in found]
    if missing:
        # People's accounts come from the registry; only the group's own open on demand.
        if any(account_flags(k)["member_id"] is not None for k in missing):
            raise InvalidTransfer(f"no account {', '.join(missing)} in group {group_id}")
        ensure_accounts(session, group_id, missing)
        found = {a.key: a for a in session.scalars(_statement("lock_keys"), params)}
    return found


def _lock_ids(session: Session, ids: list[int]) -> dict[int, Account]:
    return {a.id: a for a in session.scalars(_statement("lock_ids"), {"ids": ids})}


def _body_of(session: Session, t: Transfer) -> dict[str, Any]:
    """The request body a stored transfer answers, to compare with a retry."""
    base = {"business_date": t.business_date.isoformat(), "note": t.note}
    if t.phase in (Phase.POST, Phase.VOID):
        return {"op": t.phase, "pending_id": t.pending_id, **base}
    if t.reversal_of is not None:
        return {"op": "reverse", "reversal_of": t.reversal_of, **base}
    debit = session.get(Account, t.debit_account_id)
    credit = session.get(Account, t.credit_account_id)
    return {
        "op": "create",
        "group_id": t.group_id,
        "debit": debit.key,
        "credit": credit.key,
        "amount": t.amount,
        "code": t.code,
        "pending": t.phase == Phase.PENDING,
        "member_id": t.member_id,
        "collector_id": t.collector_id,
        **base,
    }


def _compare(key: str, before: dict[str, Any], now: dict[str, Any]) -> None:
    for field in now:
        if before.get(field) != now[field]:
            raise IdempotencyConflict(key, field, before.get(field), now[field])


def _replay(session: Session, key: str, body: dict[str, Any]) -> Outcome | None:
    """The earlier outcome of this key, or None if it is new."""
    earlier = session.scalars(_statement("transfer_by_key"), {"key": key}).first()
    if earlier is not None:
        _compare(key, _body_of(session, earlier), body)
        return Outcome(transfer=earlier, replayed=True)
    refused = session.scalars(select(RefusedTransfer).where(RefusedTransfer.key == key)).first()
    if refused is not None:
        _compare(key, json.loads(refused.body), body)
        return Outcome(refused=Refusal(refused.reason), detail=refused.detail, replayed=True)
    return None


def _refuse(
    session: Session,
    key: str,
    group_id: int | None,
    body: dict[str, Any],
    reason: Refusal,
    detail: str | None = None,
) -> Outcome:
    """Record a refusal so that the same key is refused again, and say so."""
    stmt = (
        _insert(session, RefusedTransfer)
        .values(
            key=key,
            group_id=group_id,
            reason=reason.value,
            detail=detail,
            body=json.dumps(body, sort_keys=True),
        )
        .on_conflict_do_nothing()
    )
    session.execute(stmt)
    return Outcome(refused=reason, detail=detail)


def _deltas(amount: int, phase: Phase) -> tuple[int, int]:
    """How much a movement adds to the posted and to the pending totals."""
    posted = amount if phase in (Phase.SINGLE, Phase.POST) else 0
    pending = {Phase.SINGLE: 0, Phase.PENDING: amount}.get(phase, -amount)
    return posted, pending


def _within_limits(account: Account, *, debit: bool, amount: int, phase: Phase) -> bool:
    """Whether the account keeps its limit after this movement."""
    posted, pending = _deltas(amount, phase)
    dp, dpe = account.debits_posted, account.debits_pending
    cp, cpe = account.credits_posted, account.credits_pending
    if debit:
        dp, dpe = dp + posted, dpe + pending
    else:
        cp, cpe = cp + posted, cpe + pending
    if account.debits_must_not_exceed_credits and dp + dpe > cp:
        return False
    return not (account.credits_must_not_exceed_debits and cp + cpe > dp)


def _overdraft(debit: Account, credit: Account, amount: int, phase: Phase) -> str | None:
    """The key of an account this movement would take below zero, if any."""
    if not _within_limits(debit, debit=True, amount=amount, phase=phase):
        return debit.key
    if not _within_limits(credit, debit=False, amount=amount, phase=phase):
        return credit.key
    return None


def _write(
    session: Session,
    key: str,
    body: dict[str, Any],
    values: dict[str, Any],
    debit: Account,
    credit: Account,
) -> Outcome:
    """Insert the journal row and move the totals; replay a key another request took."""
    posted, pending = _deltas(values["amount"], Phase(values["phase"]))
    fields = {"pending_id": None, "reversal_of": None, "note": None, **values}
    fields.update(key=key, created_at=utcnow())
    row = {f"t_{name}": value for name, value in fields.items()}
    totals = {"debit": debit.id, "credit": credit.id, "posted": posted, "pending": pending}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = _statement("insert_and_apply", dialect)
        transfer = session.scalars(stmt, {**row, **totals}).first()
    else:
        transfer = session.scalars(_statement("insert_transfer", dialect), row).first()
        if transfer is not None:
            session.execute(_statement("apply"), totals)
    if transfer is not None:
        session.expire(debit)
        session.expire(credit)
        return Outcome(transfer=transfer)
    replay = _replay(session, key, body)
    if replay is not None:
        return replay
    # The key is free, so a unique resolution or reversal column refused the row.
    reason = Refusal.ALREADY_RESOLVED if values.get("pending_id") else Refusal.ALREADY_REVERSED
    return _refuse(session, key, values["group_id"], body, reason)


def _by(actor: Actor | None) -> dict[str, object]:
    """The actor's columns; a transfer without one is refused."""
    if actor is None:
        raise InvalidTransfer("say who moves the money (an Actor)")
    return actor.columns()


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidTransfer(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")


def _touch(
    session: Session,
    group_id: int,
    phase: Phase,
    member_id: int | None,
    collector_id: int | None,
    *keys: str,
) -> None:
    """Say whose money a transfer moves, and the group's fund total when posted money moves."""
    members = {member_id, *(account_flags(k)["member_id"] for k in keys if k.startswith("member:"))}
    touch(session, *(money_generation(m) for m in members if m is not None))
    if member_id is not None and collector_id is not None:
        # The member's last collector paid (the usual one, unless one is assigned).
        touch(session, usual_generation(member_id, collector_id))
    if phase not in (Phase.PENDING, Phase.VOID):  # those move only pending totals
        touch(session, fund_generation(group_id))


def create_transfer(session: Session, spec: TransferSpec, *, pending: bool = False) -> Outcome:
    """Post a transfer at once, or reserve it as pending when pending=True."""
    _check_key(spec.key)
    if type(spec.amount) is not int or spec.amount <= 0:
        raise InvalidTransfer("amount must be a positive whole number of satang")
    if spec.debit == spec.credit:
        raise InvalidTransfer("debit and credit must be two different accounts")
    if spec.code not in Code.__members__.values():
        raise InvalidTransfer(f"unknown transfer code {spec.code!r}")
    for key in (spec.debit, spec.credit):
        if not ACCOUNT_KEY.fullmatch(key):
            raise InvalidTransfer(f"unknown account {key!r}")
    by = _by(spec.by)
    body = {
        "op": "create",
        "group_id": spec.group_id,
        "debit": spec.debit,
        "credit": spec.credit,
        "amount": spec.amount,
        "code": spec.code,
        "pending": pending,
        "member_id": spec.member_id,
        "collector_id": spec.collector_id,
        "business_date": spec.business_date.isoformat(),
        "note": spec.note,
    }
    phase = Phase.PENDING if pending else Phase.SINGLE
    _touch(
        session, spec.group_id, phase, spec.member_id, spec.collector_id, spec.debit, spec.credit
    )
    if session.get_bind().dialect.name == "postgresql":
        transfer = _post_in_one(session, spec, phase)
        if transfer is not None:
            return Outcome(transfer=transfer)
    accounts = _lock(session, spec.group_id, [spec.debit, spec.credit])
    debit, credit = accounts[spec.debit], accounts[spec.credit]
    if over := _overdraft(debit, credit, spec.amount, phase):
        # A key seen before keeps its first answer, whatever the balance is now.
        replay = _replay(session, spec.key, body)
        return replay or _refuse(session, spec.key, spec.group_id, body, Refusal.OVERDRAFT, over)
    # New keys are the common case: _write replays a known key when the insert is refused.
    return _write(
        session,
        spec.key,
        body,
        {
            "group_id": spec.group_id,
            "debit_account_id": debit.id,
            "credit_account_id": credit.id,
            "amount": spec.amount,
            "code": spec.code,
            "phase": phase.value,
            "member_id": spec.member_id,
            "collector_id": spec.collector_id,
            "business_date": spec.business_date,
            "note": spec.note,
            **by,
        },
        debit,
        credit,
    )


def resolution_of(session: Session, pending_id: int) -> Transfer | None:
    """The post or void of a pending transfer, if it has one."""
    return session.scalars(select(Transfer).where(Transfer.pending_id == pending_id)).first()


def reversal_of(session: Session, transfer_id: int) -> Transfer | None:
    """The reversal of a transfer, if it has one."""
    return session.scalars(select(Transfer).where(Transfer.reversal_of == transfer_id)).first()


def _load_original(
    session: Session, key: str, body: dict[str, Any], original_id: int, missing: Refusal
) -> Outcome | tuple[Transfer, Account, Account]:
    """Find and lock the transfer a post, void or reversal names, unless already decided."""
    original = session.get(Transfer, original_id)
    if original is None:
        return _replay(session, key, body) or _refuse(session, key, None, body, missing)
    accounts = _lock_ids(session, [original.debit_account_id, original.credit_account_id])
    replay = _replay(session, key, body)
    if replay is not None:
        return replay
    return original, accounts[original.debit_account_id], accounts[original.credit_account_id]


def _write_follow_up(
    session: Session,
    key: str,
    body: dict[str, Any],
    original: Transfer,
    debit: Account,
    credit: Account,
    phase: Phase,
    by: Actor,
    **fields: Any,
) -> Outcome:
    """Check the limits and write a transfer that follows up on an earlier one."""
    if over := _overdraft(debit, credit, original.amount, phase):
        return _refuse(session, key, original.group_id, body, Refusal.OVERDRAFT, over)
    _touch(
        session,
        original.group_id,
        phase,
        original.member_id,
        original.collector_id,
        debit.key,
        credit.key,
    )
    values = {
        "group_id": original.group_id,
        "debit_account_id": debit.id,
        "credit_account_id": credit.id,
        "amount": original.amount,
        "code": original.code,
        "phase": phase.value,
        "member_id": original.member_id,
        "collector_id": original.collector_id,
        "business_date": dt.date.fromisoformat(body["business_date"]),
        "note": body["note"],
        **by.columns(),
        **fields,
    }
    return _write(session, key, body, values, debit, credit)


def _resolve(
    session: Session,
    key: str,
    pending_id: int,
    phase: Phase,
    business_date: dt.date,
    note: str | None,
    by: Actor | None,
) -> Outcome:
    _check_key(key)
    _by(by)
    body = {
        "op": phase.value,
        "pending_id": pending_id,
        "business_date": business_date.isoformat(),
        "note": note,
    }
    loaded = _load_original(session, key, body, pending_id, Refusal.PENDING_NOT_FOUND)
    if isinstance(loaded, Outcome):
        return loaded
    original, debit, credit = loaded
    if original.phase != Phase.PENDING:
        return _refuse(session, key, original.group_id, body, Refusal.NOT_PENDING)
    if resolution_of(session, pending_id) is not None:
        return _refuse(session, key, original.group_id, body, Refusal.ALREADY_RESOLVED)
    return _write_follow_up(
        session, key, body, original, debit, credit, phase, by, pending_id=pending_id
    )


def post_pending(
    session: Session,
    key: str,
    pending_id: int,
    business_date: dt.date,
    note: str | None = None,
    *,
    by: Actor | None,
) -> Outcome:
    """Post a pending transfer (a collector's OK)."""
    return _resolve(session, key, pending_id, Phase.POST, business_date, note, by)


def void_pending(
    session: Session,
    key: str,
    pending_id: int,
    business_date: dt.date,
    note: str | None = None,
    *,
    by: Actor | None,
) -> Outcome:
    """Void a pending transfer (a collector's NO)."""
    return _resolve(session, key, pending_id, Phase.VOID, business_date, note, by)


def reverse_transfer(
    session: Session,
    key: str,
    transfer_id: int,
    business_date: dt.date,
    note: str | None = None,
    *,
    by: Actor | None,
) -> Outcome:
    """Post the mirror image of a posted transfer, at most once per transfer."""
    _check_key(key)
    _by(by)
    body = {
        "op": "reverse",
        "reversal_of": transfer_id,
        "business_date": business_date.isoformat(),
        "note": note,
    }
    loaded = _load_original(session, key, body, transfer_id, Refusal.NOT_REVERSIBLE)
    if isinstance(loaded, Outcome):
        return loaded
    original, debit, credit = loaded
    moved_money = original.phase in (Phase.SINGLE, Phase.POST)
    if not moved_money or original.reversal_of is not None:
        return _refuse(session, key, original.group_id, body, Refusal.NOT_REVERSIBLE)
    if reversal_of(session, transfer_id) is not None:
        return _refuse(session, key, original.group_id, body, Refusal.ALREADY_REVERSED)
    # The mirror image: what was debited is credited back.
    return _write_follow_up(
        session,
        key,
        body,
        original,
        credit,
        debit,
        Phase.SINGLE,
        by,
        code=Code.REVERSAL.value,
        reversal_of=transfer_id,
    )
