"""Nightly reconciliation: declarations, confirmations, hand-overs and the ledger.

A run covers one group's business day: the journal rows of business dates up to that
day and ids up to the watermark frozen when the run was made, less what the previous
run covered (the rows of dates up to its day and ids up to its watermark). So a day
never takes a later day's entries, a late entry of an earlier day falls into the next
run, a rerun sees exactly the same rows, and days after a gap are run one by one, in
order, whenever they are caught up. A group's first run over a history (entries dated
before its day) is preceded by one opening run that takes the whole history, dated the
day before: opening balances, never one day's takings. Disputes and resolutions count
when made by the end of the day and by the run's frozen watermarks.

Open matters are judged as of the run: declarations not yet confirmed are carried from
the previous run's items, disputes until resolved; a collector's hand-over is short
while it is their last one and left cash in hand, so a later hand-over closes it (or
takes over with what it leaves). No night scans the whole journal. Items are written
by set-based INSERT ... SELECT and replaced as a whole in one transaction: a run killed
half-way leaves nothing behind and its rerun gives the same result. A run once done is
kept as it is: running its day again shows it, beside today's state of its exceptions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Subquery,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from models.actors import Authored, actor_check
from models.authority import shown
from models.base import Base, BigId, one_of, utcnow
from models.disputes import Dispute
from models.ledger import Account, Code, Phase, Transfer, ref_for
from models.registry import Group

POSTED = (Phase.SINGLE.value, Phase.POST.value)
BUSINESS_TIMEZONE = "Asia/Bangkok"  # Satja's days are Bangkok days (models/clock.py)


class ItemKind(enum.StrEnum):
    """What reconciliation made of an item."""

    MATCHED = "matched"  # confirmed money that needs nothing more
    REJECTED = "rejected"  # a declaration the collector said NO to
    REVERSED = "reversed"  # an entry undone by its reversal
    DECLARED = "declared"  # declared by a member, not confirmed yet (ages)
    DISPUTED = "disputed"  # confirmed, but the member disputes the receipt
    CASH_HELD = "cash_held"  # a collector holds cash too long or over the limit
    HANDOVER_SHORT = "handover_short"  # a collector's last hand-over left cash in hand
    LEDGER = "ledger"  # running totals or debits and credits disagree: alarm


EXCEPTIONS = (
    ItemKind.DECLARED,
    ItemKind.DISPUTED,
    ItemKind.CASH_HELD,
    ItemKind.HANDOVER_SHORT,
    ItemKind.LEDGER,
)
CARRIED = (ItemKind.DECLARED,)  # open until confirmed or rejected, night after night


class RunStatus(enum.StrEnum):
    """Where a run is; 'running' after a crash means: run it again."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # finished, but the ledger disagrees with itself


class ReconcileRun(Base):
    """One group's business day, frozen by the dates and journal ids it covers."""

    __tablename__ = "reconcile_runs"
    __table_args__ = (
        UniqueConstraint("group_id", "business_date", name="uq_reconcile_runs_group_date"),
        CheckConstraint(one_of("status", RunStatus), name="status_known"),
        CheckConstraint("lo_transfer_id <= hi_transfer_id", name="range_ordered"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reconcile_runs.id"))
    # The previous run's watermark and day: what it covered is not covered again.
    lo_transfer_id: Mapped[int] = mapped_column(BigInteger)
    lo_business_date: Mapped[dt.date | None] = mapped_column(Date)
    hi_transfer_id: Mapped[int] = mapped_column(BigInteger)  # inclusive
    # Ids up to here were covered by runs made before runs went by date (migration 0008).
    floor_transfer_id: Mapped[int] = mapped_column(BigInteger, default=0)
    hi_dispute_id: Mapped[int] = mapped_column(BigInteger)
    hi_resolution_id: Mapped[int] = mapped_column(BigInteger)
    # The run that takes a group's history before its first day: opening balances.
    opening: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.RUNNING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ReconcileItem(Base):
    """One finding of a run: a matched entry or an exception, with its age."""

    __tablename__ = "reconcile_items"
    __table_args__ = (
        CheckConstraint(one_of("kind", ItemKind), name="kind_known"),
        # The next night carries open items by (run, kind).
        Index("ix_reconcile_items_run_kind", "run_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconcile_runs.id"))
    kind: Mapped[str] = mapped_column(String(16))
    alert: Mapped[bool] = mapped_column(Boolean)
    # What the item is about, stable from night to night: transfer:<id>, dispute:<id>,
    # cash:<collector>:<since>, ledger:<account>. A resolution names it.
    subject: Mapped[str] = mapped_column(String(80))
    code: Mapped[str | None] = mapped_column(String(16))
    transfer_id: Mapped[int | None] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(BigInteger)
    collector_id: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    age_days: Mapped[int | None] = mapped_column(Integer)
    business_date: Mapped[dt.date | None] = mapped_column(Date)
    detail: Mapped[str | None] = mapped_column(String(200))


class Action(enum.StrEnum):
    """How an exception was settled."""

    CONFIRM = "confirm"
    REVERSE = "reverse"
    NOTE = "note"


class Resolution(Authored, Base):
    """How an exception was settled, by whom (models/actors.py); kept for good."""

    __tablename__ = "reconcile_resolutions"
    __table_args__ = (
        CheckConstraint(one_of("action", Action), name="action_known"),
        # Optional only for settlements made before migration 0016 named no one it could find.
        actor_check("by", optional=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    subject: Mapped[str] = mapped_column(String(80), unique=True)
    action: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200))
    by_name: Mapped[str | None] = mapped_column(String(120))  # before migration 0016
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


ITEM_COLUMNS = (
    "kind",
    "alert",
    "subject",
    "code",
    "transfer_id",
    "member_id",
    "collector_id",
    "amount",
    "age_days",
    "business_date",
    "detail",
)


def day_end_utc(day: dt.date, timezone: str = BUSINESS_TIMEZONE) -> dt.datetime:
    """The UTC instant (naive, as stored) at which the business day ends."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return midnight.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Window:
    """What one evaluation sees: a group, a day and the frozen watermarks."""

    group: Group
    day: dt.date
    lo: int
    hi: int
    hi_dispute: int
    hi_resolution: int
    previous_id: int | None
    dialect: str
    lo_day: dt.date | None = None
    floor: int = 0
    # Where the journal is read from: every row the window may take has a higher id.
    # Exact at the floor; scanned() raises it to what the night really needs.
    scan_from: int | None = None

    @classmethod
    def of(cls, run: ReconcileRun, group: Group, dialect: str) -> Window:
        """The window a stored run froze."""
        return cls(
            group,
            run.business_date,
            run.lo_transfer_id,
            run.hi_transfer_id,
            run.hi_dispute_id,
            run.hi_resolution_id,
            run.previous_id,
            dialect,
            run.lo_business_date,
            run.floor_transfer_id or 0,
        )

    def scanned(self, session: Session) -> Window:
        """The same window, read from the lowest id it may take: an index range."""
        # Rows below the previous run's watermark count only when dated after its day:
        # a missed day's catch-up, a few days' rows, found by the (group, date) index.
        t = Transfer
        dated_later = session.scalar(
            select(func.min(t.id)).where(
                t.group_id == self.group.id,
                t.business_date > (self.lo_day or dt.date.min),
                t.business_date <= self.day,
                t.id <= self.lo,
                t.id > self.floor,
            )
        )
        start = self.lo if dated_later is None else min(self.lo, dated_later - 1)
        return dataclasses.replace(self, scan_from=max(start, self.floor))

    def params(self) -> dict[str, object]:
        """The values of the bound parameters the cached queries name (see _Bound)."""
        return {
            "w_group": self.group.id,
            "w_lo": self.lo,
            "w_hi": self.hi,
            "w_floor": self.floor,
            "w_scan_from": self.floor if self.scan_from is None else self.scan_from,
            # No previous run: nothing below lo was covered by date (lo is 0 then).
            "w_lo_day": self.lo_day or dt.date.min,
            "w_hi_dispute": self.hi_dispute,
            "w_hi_resolution": self.hi_resolution,
            "w_previous": self.previous_id or 0,
            "w_day": self.day,
            "w_day_iso": self.day.isoformat(),
            "w_day_end": day_end_utc(self.day),
            "w_alert_days": self.group.pending_alert_days,
            "w_cash_limit": self.group.cash_limit_satang,
            "w_cash_age": self.group.cash_age_days,
        }


class _BoundGroup:
    """A group's limits as bound parameters."""

    id = bindparam("w_group", type_=BigInteger)
    pending_alert_days = bindparam("w_alert_days", type_=Integer)
    cash_limit_satang = bindparam("w_cash_limit", type_=BigInteger)
    cash_age_days = bindparam("w_cash_age", type_=Integer)


class _Bound:
    """A window of bound parameters: the queries are built once, run with params()."""

    group = _BoundGroup
    lo = bindparam("w_lo", type_=BigInteger)
    hi = bindparam("w_hi", type_=BigInteger)
    floor = bindparam("w_floor", type_=BigInteger)
    scan_from = bindparam("w_scan_from", type_=BigInteger)
    lo_day = bindparam("w_lo_day", type_=Date)
    hi_dispute = bindparam("w_hi_dispute", type_=BigInteger)
    hi_resolution = bindparam("w_hi_resolution", type_=BigInteger)
    previous_id = bindparam("w_previous", type_=BigInteger)
    day = bindparam("w_day", type_=Date)
    day_iso = bindparam("w_day_iso", type_=String)
    day_end = bindparam("w_day_end", type_=DateTime)

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect


def bound(dialect: str) -> _Bound:
    """The window's bound parameters, to build a query run with Window.params()."""
    return _Bound(dialect)


def _days_since(w: _Bound, column: ColumnElement) -> ColumnElement:
    """Whole days from a date column to the window's day, in either dialect."""
    if w.dialect == "postgresql":
        return cast(w.day - column, Integer)
    return cast(func.julianday(w.day_iso) - func.julianday(column), Integer)


def _subject(prefix: str, *parts: ColumnElement) -> ColumnElement:
    expression: ColumnElement = literal(prefix)
    for i, part in enumerate(parts):
        expression = expression + (literal(":") if i else literal("")) + cast(part, String)
    return expression


def _row(**values: object) -> list[ColumnElement]:
    """The select list of one item query, in ITEM_COLUMNS order, NULL where not given."""
    out = []
    for name in ITEM_COLUMNS:
        value = values.get(name)
        if value is None:
            value = null()
        elif not isinstance(value, ColumnElement) and not hasattr(value, "__clause_element__"):
            value = literal(value)
        out.append(value.label(name))
    return out


def _posted_sum(
    account_id: ColumnElement, row_filter: Callable[[type[Transfer]], ColumnElement]
) -> ColumnElement:
    """Debits less credits posted to an account by the journal rows the filter keeps."""
    t = aliased(Transfer)
    signed = case((t.debit_account_id == account_id, t.amount), else_=-t.amount)
    return (
        # sum() of BIGINT is NUMERIC on PostgreSQL: back to whole satang.
        select(cast(func.coalesce(func.sum(signed), 0), BigInteger))
        .where(
            or_(t.debit_account_id == account_id, t.credit_account_id == account_id),
            t.phase.in_(POSTED),
            row_filter(t),
        )
        .scalar_subquery()
    )


def in_window(w: _Bound, t: type[Transfer]) -> ColumnElement:
    """The rows the run covers: dated up to its day, up to its watermark, not covered before."""
    return and_(
        t.group_id == w.group.id,
        t.id > w.floor,
        t.id > w.scan_from,  # the same rows; an id range the planner can use
        t.id <= w.hi,
        t.business_date <= w.day,
        # New since the previous run froze, or dated after the previous run's day.
        or_(t.id > w.lo, t.business_date > w.lo_day),
    )


def as_of(w: _Bound, t: type[Transfer]) -> ColumnElement:
    """The rows that had happened by the run: dated up to its day, up to its watermark."""
    return and_(t.id <= w.hi, t.business_date <= w.day)


def _after(w: _Bound, t: type[Transfer]) -> ColumnElement:
    return or_(t.id > w.hi, t.business_date > w.day)


def _cash_as_of(w: _Bound, a: type[Account]) -> ColumnElement:
    """A collector's cash in hand as of the window: the totals now, less what came after."""
    return (a.debits_posted - a.credits_posted) - _posted_sum(a.id, lambda o: _after(w, o))


def _not_resolved(w: _Bound, subject: ColumnElement) -> ColumnElement:
    return ~exists().where(
        Resolution.subject == subject,
        Resolution.id <= w.hi_resolution,
        Resolution.created_at < w.day_end,
    )


def _carried(w: _Bound, kind: ItemKind) -> Select:
    """Transfer ids of the previous run's open items of this kind."""
    return select(ReconcileItem.transfer_id).where(
        ReconcileItem.run_id == w.previous_id, ReconcileItem.kind == kind.value
    )


def day_entries(w: _Bound) -> Select:
    """Posted entries of the day: matched, rejected or reversed."""
    t = aliased(Transfer)
    kind = case(
        (t.phase == Phase.VOID.value, ItemKind.REJECTED.value),
        (t.reversal_of.is_not(None), ItemKind.REVERSED.value),
        else_=ItemKind.MATCHED.value,
    )
    return select(
        *_row(
            kind=kind,
            alert=false(),
            subject=_subject("transfer:", func.coalesce(t.pending_id, t.reversal_of, t.id)),
            code=t.code,
            transfer_id=t.id,
            member_id=t.member_id,
            collector_id=t.collector_id,
            amount=t.amount,
            age_days=literal(0),
            business_date=t.business_date,
        )
    ).where(
        in_window(w, t),
        t.phase.in_((*POSTED, Phase.VOID.value)),
        # Hand-overs are judged against the cash in hand, below.
        or_(t.code != Code.HANDOVER.value, t.reversal_of.is_not(None)),
    )


def _open_shorts(w: _Bound) -> Subquery:
    """Each collector's last hand-over as of the window, when it left cash that is still held."""
    a, t, r = aliased(Account), aliased(Transfer), aliased(Transfer)
    last = (
        select(a.id.label("account_id"), func.max(t.id).label("handover_id"))
        .join(t, t.credit_account_id == a.id)
        .where(
            a.group_id == w.group.id,
            a.key.like("collector_cash:%"),
            t.code == Code.HANDOVER.value,
            t.phase == Phase.SINGLE.value,
            t.reversal_of.is_(None),
            as_of(w, t),
            ~exists().where(r.reversal_of == t.id, as_of(w, r)),
        )
        .group_by(a.id)
        .subquery()
    )
    h, c = aliased(Transfer), aliased(Account)
    judged = (
        select(
            h.id.label("handover_id"),
            # Cash left right after it, in journal order: the totals less every later row.
            ((c.debits_posted - c.credits_posted) - _posted_sum(c.id, lambda o: o.id > h.id)).label(
                "short"
            ),
            _cash_as_of(w, c).label("held"),
        )
        .join(last, last.c.handover_id == h.id)
        .join(c, c.id == last.c.account_id)
        .subquery()
    )
    return (
        select(judged.c.handover_id, judged.c.short)
        .where(
            judged.c.short > 0,
            judged.c.held > 0,
            _not_resolved(w, _subject("transfer:", judged.c.handover_id)),
        )
        .subquery()
    )


def handovers(w: _Bound) -> tuple[Select, Select]:
    """The day's hand-overs, matched or short; a short stays open while it is the last."""
    shorts = _open_shorts(w)
    t = aliased(Transfer)
    is_short = shorts.c.short.is_not(None)
    new = (
        select(
            *_row(
                kind=case((is_short, ItemKind.HANDOVER_SHORT.value), else_=ItemKind.MATCHED.value),
                alert=is_short,
                subject=_subject("transfer:", t.id),
                code=t.code,
                transfer_id=t.id,
                collector_id=t.collector_id,
                amount=func.coalesce(shorts.c.short, t.amount),
                age_days=_days_since(w, t.business_date),
                business_date=t.business_date,
            )
        )
        .outerjoin(shorts, shorts.c.handover_id == t.id)
        .where(
            in_window(w, t),
            t.code == Code.HANDOVER.value,
            t.phase == Phase.SINGLE.value,
            t.reversal_of.is_(None),
        )
    )
    h = aliased(Transfer)
    earlier = (
        select(
            *_row(
                kind=literal(ItemKind.HANDOVER_SHORT.value),
                alert=true(),
                subject=_subject("transfer:", h.id),
                code=h.code,
                transfer_id=h.id,
                collector_id=h.collector_id,
                amount=shorts.c.short,
                age_days=_days_since(w, h.business_date),
                business_date=h.business_date,
            )
        )
        .join(shorts, shorts.c.handover_id == h.id)
        .where(~in_window(w, h))
    )
    return new, earlier


def declared(w: _Bound) -> Select:
    """Declarations not posted or voided as of the window, with their age."""
    p, r = aliased(Transfer), aliased(Transfer)
    new = select(p.id).where(in_window(w, p), p.phase == Phase.PENDING.value)
    ids = union_all(new, _carried(w, ItemKind.DECLARED)).subquery()
    age = _days_since(w, p.business_date)
    return (
        select(
            *_row(
                kind=literal(ItemKind.DECLARED.value),
                alert=age >= w.group.pending_alert_days,
                subject=_subject("transfer:", p.id),
                code=p.code,
                transfer_id=p.id,
                member_id=p.member_id,
                collector_id=p.collector_id,
                amount=p.amount,
                age_days=age,
                business_date=p.business_date,
            )
        )
        .join(ids, ids.c[0] == p.id)
        .where(~exists().where(r.pending_id == p.id, as_of(w, r)))
    )


def disputed(w: _Bound) -> Select:
    """Receipts a member disputed by the end of the day, until the committee resolves them."""
    t = aliased(Transfer)
    subject = _subject("dispute:", Dispute.id)
    return (
        select(
            *_row(
                kind=literal(ItemKind.DISPUTED.value),
                alert=true(),
                subject=subject,
                code=t.code,
                transfer_id=t.id,
                member_id=Dispute.member_id,
                collector_id=t.collector_id,
                amount=t.amount,
                age_days=_days_since(w, t.business_date),
                business_date=t.business_date,
            )
        )
        .join(t, t.id == Dispute.transfer_id)
        .where(
            Dispute.group_id == w.group.id,
            Dispute.id <= w.hi_dispute,
            Dispute.created_at < w.day_end,
            _not_resolved(w, subject),
        )
    )


def cash_held(w: _Bound) -> Select:
    """Collectors holding cash over the limit, or longer than allowed since a hand-over."""
    a, t = aliased(Account), aliased(Transfer)
    last_handover = (
        select(func.max(t.business_date))
        .where(
            t.credit_account_id == a.id,
            t.code == Code.HANDOVER.value,
            t.reversal_of.is_(None),
            as_of(w, t),
        )
        .scalar_subquery()
    )
    first_taken = (
        select(func.min(t.business_date))
        .where(t.debit_account_id == a.id, t.phase.in_(POSTED), as_of(w, t))
        .scalar_subquery()
    )
    held = (
        select(
            a.member_id.label("collector_id"),
            _cash_as_of(w, a).label("cash"),
            func.coalesce(last_handover, first_taken).label("since"),
        )
        .where(a.group_id == w.group.id, a.key.like("collector_cash:%"))
        .subquery()
    )
    age = _days_since(w, held.c.since)
    subject = _subject("cash:", held.c.collector_id, held.c.since)
    return select(
        *_row(
            kind=literal(ItemKind.CASH_HELD.value),
            alert=true(),
            subject=subject,
            collector_id=held.c.collector_id,
            amount=held.c.cash,
            age_days=age,
            business_date=held.c.since,
        )
    ).where(
        held.c.cash > 0,
        or_(held.c.cash > w.group.cash_limit_satang, age > w.group.cash_age_days),
        _not_resolved(w, subject),
    )


@cache
def findings(dialect: str) -> Select:
    """Every item of a window, as one set-based query (built once; run with params())."""
    w = _Bound(dialect)
    return union_all(day_entries(w), *handovers(w), declared(w), disputed(w), cash_held(w))


def watermarks(session: Session) -> tuple[int, int, int]:
    """The highest transfer, dispute and resolution ids committed now."""
    return tuple(
        session.scalar(select(func.coalesce(func.max(model.id), 0)))
        for model in (Transfer, Dispute, Resolution)
    )


class OutOfOrder(ValueError):
    """A later day of the group was reconciled already; days go in order."""


def run_of(session: Session, group: Group, day: dt.date) -> ReconcileRun | None:
    """The group's run of that business day, if it was made."""
    return session.scalars(
        select(ReconcileRun).where(
            ReconcileRun.group_id == group.id, ReconcileRun.business_date == day
        )
    ).first()


def _freeze(
    session: Session,
    group: Group,
    day: dt.date,
    previous: ReconcileRun | None,
    *,
    opening: bool = False,
) -> ReconcileRun:
    """Make the run of a day now, its watermarks frozen."""
    hi, hi_dispute, hi_resolution = watermarks(session)
    lo = previous.hi_transfer_id if previous else 0
    run = ReconcileRun(
        group_id=group.id,
        business_date=day,
        previous_id=previous.id if previous else None,
        lo_transfer_id=lo,
        lo_business_date=previous.business_date if previous else None,
        hi_transfer_id=max(hi, lo),
        floor_transfer_id=previous.floor_transfer_id if previous else 0,
        hi_dispute_id=hi_dispute,
        hi_resolution_id=hi_resolution,
        opening=opening,
        status=RunStatus.RUNNING.value,
        attempts=0,
    )
    session.add(run)
    session.flush()
    return run


def next_run(session: Session, group: Group, day: dt.date) -> ReconcileRun:
    """The group's next run on the way to the day: one left running, the day's, or a new one.

    Days go in order: a day after a gap is reached through every missed day, each frozen
    in turn; a group's first day over a history is reached through its opening run.
    """
    runs = ReconcileRun
    stuck = session.scalars(
        select(runs)
        .where(
            runs.group_id == group.id,
            runs.business_date < day,
            runs.status == RunStatus.RUNNING.value,
        )
        .order_by(runs.business_date)
        .limit(1)
    ).first()
    if stuck is not None:
        return stuck
    existing = run_of(session, group, day)
    if existing is not None:
        return existing
    later = session.scalar(
        select(func.max(runs.business_date)).where(
            runs.group_id == group.id, runs.business_date > day
        )
    )
    if later is not None:
        raise OutOfOrder(f"{group.code}: {later} was reconciled already; {day} is too late")
    previous = session.scalars(
        select(runs)
        .where(runs.group_id == group.id, runs.business_date < day)
        .order_by(runs.business_date.desc())
        .limit(1)
    ).first()
    if previous is not None:
        return _freeze(session, group, previous.business_date + dt.timedelta(days=1), previous)
    t = Transfer
    history = session.scalar(select(exists().where(t.group_id == group.id, t.business_date < day)))
    if history:
        return _freeze(session, group, day - dt.timedelta(days=1), None, opening=True)
    return _freeze(session, group, day, None)


def _plain_plans(session: Session) -> None:
    """No JIT for these queries: PostgreSQL's compile took 0.7 s of a 0.01 s query."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def compute_run(
    session: Session, run: ReconcileRun, group: Group, ledger_faults: list[str]
) -> None:
    """Replace the run's items with what its frozen window holds, and finish it."""
    _plain_plans(session)
    if run.previous_id is not None:
        previous = session.get(ReconcileRun, run.previous_id)
        if previous.status == RunStatus.RUNNING:
            raise OutOfOrder(f"{group.code}: {previous.business_date} must be run first")
    w = Window.of(run, group, session.get_bind().dialect.name).scanned(session)
    session.execute(delete(ReconcileItem).where(ReconcileItem.run_id == run.id))
    found = findings(w.dialect).subquery()
    session.execute(
        ReconcileItem.__table__.insert().from_select(
            ["run_id", *ITEM_COLUMNS],
            select(bindparam("run_id", type_=BigInteger), *(found.c[c] for c in ITEM_COLUMNS)),
        ),
        {"run_id": run.id, **w.params()},
    )
    if ledger_faults:
        session.add_all(
            ReconcileItem(
                run_id=run.id,
                kind=ItemKind.LEDGER.value,
                alert=True,
                subject=f"ledger:{run.business_date}:{i}",
                amount=0,
                detail=fault[:200],
            )
            for i, fault in enumerate(ledger_faults)
        )
    run.status = (RunStatus.FAILED if ledger_faults else RunStatus.DONE).value
    run.attempts += 1
    run.finished_at = utcnow()
    session.flush()


def live_window(session: Session, group: Group, day: dt.date) -> Window:
    """A window from the group's last finished run up to everything committed now."""
    previous = session.scalars(
        select(ReconcileRun)
        .where(ReconcileRun.group_id == group.id, ReconcileRun.status != RunStatus.RUNNING.value)
        .order_by(ReconcileRun.business_date.desc())
        .limit(1)
    ).first()
    hi, hi_dispute, hi_resolution = watermarks(session)
    lo = previous.hi_transfer_id if previous else 0
    return Window(
        group,
        day,
        lo,
        max(hi, lo),
        hi_dispute,
        hi_resolution,
        previous.id if previous else None,
        session.get_bind().dialect.name,
        previous.business_date if previous else None,
        previous.floor_transfer_id if previous else 0,
    ).scanned(session)


@dataclass(frozen=True)
class Finding:
    """One item as read back, for lists and messages."""

    kind: str
    alert: bool
    subject: str
    code: str | None
    transfer_id: int | None
    member_id: int | None
    collector_id: int | None
    amount: int
    age_days: int | None
    business_date: dt.date | None
    detail: str | None
    # The transfer whose reference the person saw: a declaration's, once it is confirmed.
    seen_transfer_id: int | None = None

    @property
    def ref(self) -> str | None:
        """The reference people saw on their phone (a confirmed declaration's own)."""
        shown = self.seen_transfer_id or self.transfer_id
        return ref_for(shown) if shown else None

    def names(self, transfer_id: int) -> bool:
        """Whether a transfer id names this finding: the one seen, or the posting's own."""
        return transfer_id in (self.transfer_id, self.seen_transfer_id)


def _finding(row: object) -> Finding:
    values = dict(zip((*ITEM_COLUMNS, "seen_transfer_id"), row, strict=True))
    day = values["business_date"]
    if isinstance(day, str):  # SQLite hands back dates in a UNION as text
        values["business_date"] = dt.date.fromisoformat(day)
    values["alert"] = bool(values["alert"])
    return Finding(**values)


def _seen() -> tuple[type[Transfer], ColumnElement]:
    """A transfer an item names, and the id of the one its person saw."""
    t = aliased(Transfer)
    return t, func.coalesce(t.pending_id, t.id).label("seen_transfer_id")


def open_exceptions(session: Session, group: Group, day: dt.date) -> list[Finding]:
    """Every open exception of the group now, declarations of today (age 0) included."""
    _plain_plans(session)
    w = live_window(session, group, day)
    query = findings(w.dialect).subquery()
    t, seen = _seen()
    rows = session.execute(
        select(*(query.c[c] for c in ITEM_COLUMNS), seen)
        .outerjoin(t, t.id == query.c.transfer_id)
        .where(query.c.kind.in_([k.value for k in EXCEPTIONS]))
        .order_by(query.c.kind, query.c.age_days.desc(), query.c.subject),
        w.params(),
    ).all()
    return [_finding(row) for row in rows]


def run_items(session: Session, run: ReconcileRun) -> list[Finding]:
    """A stored run's items, in a stable order."""
    t, seen = _seen()
    rows = session.execute(
        select(*(getattr(ReconcileItem, c) for c in ITEM_COLUMNS), seen)
        .outerjoin(t, t.id == ReconcileItem.transfer_id)
        .where(ReconcileItem.run_id == run.id)
        .order_by(ReconcileItem.kind, ReconcileItem.subject)
    ).all()
    return [_finding(row) for row in rows]


def run_summary(session: Session, run: ReconcileRun) -> dict[str, tuple[int, int]]:
    """Count and amount per kind of a stored run."""
    rows = session.execute(
        select(ReconcileItem.kind, func.count(), func.coalesce(func.sum(ReconcileItem.amount), 0))
        .where(ReconcileItem.run_id == run.id)
        .group_by(ReconcileItem.kind)
    ).all()
    return {kind: (int(n), int(amount)) for kind, n, amount in rows}


@dataclass(frozen=True)
class ExceptionNow:
    """An exception a run found, with what became of it since."""

    finding: Finding
    state: str  # open, resolved (by the committee), closed (by what people did since)
    how: str | None = None  # the resolution's action, or what closed it
    by: str | None = None
    on: dt.date | None = None


def exceptions_now(
    session: Session, run: ReconcileRun, group: Group, today: dt.date, ledger_open: bool
) -> list[ExceptionNow]:
    """The exceptions of a stored run beside today's state of each."""
    found = [f for f in run_items(session, run) if f.kind in {k.value for k in EXCEPTIONS}]
    still_open = {f.subject for f in open_exceptions(session, group, today)}
    resolutions = {
        r.subject: r
        for r in session.scalars(
            select(Resolution).where(Resolution.subject.in_([f.subject for f in found]))
        )
    }
    pending_ids = [f.transfer_id for f in found if f.kind == ItemKind.DECLARED.value]
    settled = {
        pending_id: (phase, day)
        for pending_id, phase, day in session.execute(
            select(Transfer.pending_id, Transfer.phase, Transfer.business_date).where(
                Transfer.pending_id.in_(pending_ids)
            )
        )
    }
    out = []
    for f in found:
        resolution = resolutions.get(f.subject)
        if f.kind == ItemKind.LEDGER.value:
            out.append(ExceptionNow(f, "open" if ledger_open else "closed"))
        elif f.subject in still_open:
            out.append(ExceptionNow(f, "open"))
        elif resolution is not None:
            on = resolution.created_at.replace(tzinfo=dt.UTC).astimezone(
                ZoneInfo(BUSINESS_TIMEZONE)
            )
            out.append(
                ExceptionNow(
                    f,
                    "resolved",
                    resolution.action,
                    resolution.by_name or shown(session, resolution.by),
                    on.date(),
                )
            )
        elif f.transfer_id in settled and f.kind == ItemKind.DECLARED.value:
            phase, day = settled[f.transfer_id]
            how = "confirmed" if phase == Phase.POST.value else "rejected"
            out.append(ExceptionNow(f, "closed", how, "collector", day))
        else:
            closed_by = {
                ItemKind.HANDOVER_SHORT.value: "a later hand-over",
                ItemKind.CASH_HELD.value: "a hand-over",
            }.get(f.kind)
            out.append(ExceptionNow(f, "closed", closed_by))
    return out


def ledger_faults_by_group(violations: list[str], groups: list[Group]) -> dict[int, list[str]]:
    """Split the ledger check's violations by group; those naming none go to every group."""
    by_code = {g.code: g.id for g in groups}
    out: dict[int, list[str]] = {g.id: [] for g in groups}
    for violation in violations:
        code = violation.split(" ", 1)[0]
        targets = [by_code[code]] if code in by_code else list(out)
        for group_id in targets:
            out[group_id].append(violation)
    return out
