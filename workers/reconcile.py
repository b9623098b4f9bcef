"""The nightly reconciliation job: freeze each group's day, compute it, tell people."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from redis import Redis
from sqlalchemy import Select, exists, func, select, union_all
from sqlalchemy.orm import Session, aliased

from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.texts import render
from models.audit import check_since_checkpoint
from models.clock import local_today
from models.db import Database
from models.ledger import Account, Code, Phase, Transfer
from models.offices import Office, holders
from models.outbox import MessageKind, queue_once
from models.reconcile import (
    EXCEPTIONS,
    POSTED,
    ItemKind,
    ReconcileItem,
    ReconcileRun,
    RunStatus,
    Window,
    as_of,
    bound,
    compute_run,
    in_window,
    ledger_faults_by_group,
    next_run,
    run_summary,
)
from models.registry import Group, Member, Status
from workers import runtime, stats
from workers.outbox import enqueue_sends

log = logging.getLogger(__name__)
LEDGER_QUEUE = "ledger"


class LedgerInconsistency(RuntimeError):
    """The ledger disagrees with itself: runs are stored as failed and the job fails."""


@dataclass(frozen=True)
class RunReport:
    """One run this call went through: computed now, or found done already."""

    group: str
    day: dt.date
    run_id: int
    opening: bool
    already: bool  # done before this call: its frozen figures, nothing recomputed
    summary: dict[str, tuple[int, int]]


@dataclass
class NightResult:
    """What one night's reconciliation found: the day's summary per group code, every run."""

    day: dt.date
    summaries: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    runs: list[RunReport] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)


def people(session: Session, group: Group, offices: set[Office], day: dt.date) -> list[Member]:
    """Active people of the group holding one of these offices on the day, by member number."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.group_id == group.id,
                Member.id.in_(holders(offices, day)),
                Member.status == Status.ACTIVE.value,
            )
            .order_by(Member.number)
        )
    )


def _windowed(session: Session, w: Window, query: Select) -> list:
    return session.execute(query, w.params()).all()


def collector_cash(session: Session, w: Window) -> dict[int, int]:
    """Cash in each collector's hand as of the window (totals less the rows after it)."""
    t, b = Transfer, bound(w.dialect)
    accounts = session.execute(
        select(Account.id, Account.member_id, Account.debits_posted - Account.credits_posted).where(
            Account.group_id == w.group.id, Account.key.like("collector_cash:%")
        )
    ).all()
    # The rows after the window: later ids, or ids within it dated after its day (two
    # index ranges, where one OR would read the group's whole journal).
    posted = (t.group_id == w.group.id, t.phase.in_(POSTED))
    after = union_all(
        select(t.id).where(*posted, t.id > b.hi),
        select(t.id).where(*posted, t.id <= b.hi, t.business_date > b.day),
    ).subquery()
    moved: dict[int, int] = {}
    for side, sign in ((t.debit_account_id, 1), (t.credit_account_id, -1)):
        rows = _windowed(
            session,
            w,
            select(side, func.sum(t.amount)).join(after, after.c.id == t.id).group_by(side),
        )
        for account_id, amount in rows:
            moved[account_id] = moved.get(account_id, 0) + sign * int(amount)
    return {member_id: int(cash) - moved.get(aid, 0) for aid, member_id, cash in accounts}


def _not_undone(w: Window, transfer_id: object) -> object:
    """No reversal of the transfer as of the window: undone entries are never received."""
    r = aliased(Transfer)
    return ~exists().where(r.reversal_of == transfer_id, as_of(bound(w.dialect), r))


def _per_collector(
    session: Session, run: ReconcileRun, w: Window
) -> dict[int, tuple[int, int, int]]:
    """(payments, amount, declarations waiting) per collector, net of entries undone."""
    i = ReconcileItem
    taken = (i.kind == ItemKind.MATCHED.value) & (i.code == Code.CONTRIBUTION.value)
    taken = taken & _not_undone(w, i.transfer_id)
    rows = _windowed(
        session,
        w,
        select(
            i.collector_id,
            func.count().filter(taken),
            func.coalesce(func.sum(i.amount).filter(taken), 0),
            func.count().filter(i.kind == ItemKind.DECLARED.value),
        )
        .where(i.run_id == run.id, i.collector_id.is_not(None))
        .group_by(i.collector_id),
    )
    return {c: (int(n), int(amount), int(waiting)) for c, n, amount, waiting in rows}


def _handed_over(session: Session, w: Window) -> int:
    """Cash the treasurer took from collectors in the run, less hand-overs undone."""
    t = Transfer
    (amount,) = _windowed(
        session,
        w,
        select(func.coalesce(func.sum(t.amount), 0)).where(
            in_window(bound(w.dialect), t),
            t.code == Code.HANDOVER.value,
            t.phase == Phase.SINGLE.value,
            t.reversal_of.is_(None),
            _not_undone(w, t.id),
        ),
    )[0]
    return int(amount)


def _tell(
    session: Session, group: Group, run: ReconcileRun, faults: list[str], *, alarm: bool
) -> list[int]:
    """Queue each collector's day, the treasurer's day and any alarm; keyed per run."""
    written: list[int] = []

    def send(member: Member, key: str, **values: object) -> None:
        text = render(member.lang, key, date=format_date(run.business_date, member.lang), **values)
        kind = MessageKind.NOTICE if key == "ledger_alarm" else MessageKind.SUMMARY
        message_id = queue_once(
            session, f"recon:{run.id}:{key}:{member.id}", member.phone, text, kind, member=member
        )
        if message_id is not None:
            written.append(message_id)

    if not run.opening:  # the history before go-live is nobody's day
        _tell_day(session, group, run, send)
    if faults and alarm:
        for person in people(session, group, {Office.TREASURER, Office.CHAIR}, run.business_date):
            send(person, "ledger_alarm")
    return written


def _tell_day(session: Session, group: Group, run: ReconcileRun, send: Callable[..., None]) -> None:
    """Each collector's day and the treasurer's, net of entries undone."""
    w = Window.of(run, group, session.get_bind().dialect.name).scanned(session)
    cash = collector_cash(session, w)
    per = _per_collector(session, run, w)
    summary = run_summary(session, run)
    for collector in people(session, group, {Office.COLLECTOR}, run.business_date):
        count, amount, waiting = per.get(collector.id, (0, 0, 0))
        in_hand = cash.get(collector.id, 0)
        if count or waiting or in_hand:
            send(
                collector,
                "recon_collector",
                count=count,
                amount=format_baht(amount),
                cash=format_baht(in_hand),
                pending=waiting,
            )
    open_counts = {k: summary.get(k.value, (0, 0))[0] for k in EXCEPTIONS}
    matched = sum(n for n, _, _ in per.values()), sum(a for _, a, _ in per.values())
    for treasurer in people(session, group, {Office.TREASURER}, run.business_date):
        send(
            treasurer,
            "recon_treasurer",
            count=matched[0],
            amount=format_baht(matched[1]),
            handed=format_baht(_handed_over(session, w)),
            declared=open_counts[ItemKind.DECLARED],
            disputed=open_counts[ItemKind.DISPUTED],
            held=open_counts[ItemKind.CASH_HELD],
            short=open_counts[ItemKind.HANDOVER_SHORT],
        )


def reconcile_group(
    db: Database, group_id: int, day: dt.date, faults: list[str]
) -> tuple[list[RunReport], list[int]]:
    """Run the group's days up to this one, in order; a day done already is only shown."""
    # Each run is frozen (one commit), then computed and told (another): a kill anywhere
    # loses nothing, and the next call resumes with the run left running.
    reports: list[RunReport] = []
    written: list[int] = []
    while True:
        with db.transaction() as session:
            group = session.get(Group, group_id)
            run = next_run(session, group, day)
            run_id, run_day = run.id, run.business_date
        with db.transaction() as session:
            run = session.get(ReconcileRun, run_id, with_for_update=True)
            group = session.get(Group, group_id)
            last = run_day == day
            already = run.status == RunStatus.DONE.value
            if not already:
                compute_run(session, run, group, faults)
                written.extend(_tell(session, group, run, faults, alarm=last))
            elif faults and last:
                written.extend(_tell(session, group, run, faults, alarm=True))
            reports.append(
                RunReport(
                    group.code, run_day, run.id, run.opening, already, run_summary(session, run)
                )
            )
        if last:
            return reports, written


def run_night(
    db: Database,
    day: dt.date,
    *,
    group_code: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> NightResult:
    """Reconcile every group (or one) up to the day; the ledger is checked once for all."""
    with db.transaction() as session:
        faults = check_since_checkpoint(session).violations
    with db.transaction() as session:
        groups = list(session.scalars(select(Group).order_by(Group.code)))
        if group_code is not None:
            groups = [g for g in groups if g.code == group_code]
    by_group = ledger_faults_by_group(faults, groups)
    result = NightResult(day=day, faults=faults)
    for group in groups:
        reports, written = reconcile_group(db, group.id, day, by_group[group.id])
        result.runs.extend(reports)
        result.summaries[group.code] = reports[-1].summary
        result.messages.extend(written)
        if progress is not None:
            progress(group.code)
    return result


def _count_night(redis: Redis, result: NightResult | None, seconds: float) -> None:
    """The night for /metrics: how it ended, how long it took, exceptions open by kind."""
    failed = result is None or bool(result.faults)
    stats.count(redis, "reconcile_runs", "failed" if failed else "ok")
    figures = {"reconcile_duration_seconds": seconds}
    if not failed:
        figures["reconcile_last_success"] = time.time()  # wall clock: Prometheus compares it
        for kind in EXCEPTIONS:
            figures[f"reconcile_exceptions|{kind.value}"] = sum(
                s.get(kind.value, (0, 0))[0] for s in result.summaries.values()
            )
    stats.mark(redis, figures)


def reconcile_night(day: str | None = None) -> dict[str, dict[str, tuple[int, int]]]:
    """The nightly job: reconcile all groups up to the day (missed days first), tell people."""
    rt = runtime.current()
    business_day = dt.date.fromisoformat(day) if day else local_today(rt.settings.timezone)
    started, result = time.monotonic(), None
    try:
        result = run_night(rt.db, business_day)
    finally:
        _count_night(rt.redis, result, time.monotonic() - started)
    enqueue_sends(rt.redis, result.messages)
    if result.faults:
        log.error("reconcile %s: ledger faults: %s", business_day, result.faults)
        raise LedgerInconsistency(f"{business_day}: {len(result.faults)} ledger fault(s)")
    log.info(
        "reconcile %s: %d group(s), %d run(s) done",
        business_day,
        len(result.summaries),
        sum(not r.already for r in result.runs),
    )
    return result.summaries
