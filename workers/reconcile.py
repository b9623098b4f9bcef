"""The nightly reconciliation job: freeze each group's day, compute it, tell people."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.texts import render
from models.audit import check_since_checkpoint
from models.clock import local_today
from models.db import Database
from models.ledger import Account, Code, Transfer
from models.outbox import Kind as MessageKind
from models.outbox import queue_once
from models.reconcile import (
    EXCEPTIONS,
    POSTED,
    Kind,
    ReconcileItem,
    ReconcileRun,
    Window,
    compute_run,
    freeze_run,
    ledger_faults_by_group,
    run_summary,
)
from models.registry import Group, Member, Role, Status
from workers import runtime
from workers.outbox import enqueue_sends

log = logging.getLogger(__name__)
LEDGER_QUEUE = "ledger"


class LedgerInconsistency(RuntimeError):
    """The ledger disagrees with itself: runs are stored as failed and the job fails."""


@dataclass
class NightResult:
    """What one night's reconciliation found, per group code."""

    day: dt.date
    summaries: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)


def people(session: Session, group: Group, roles: tuple[Role, ...]) -> list[Member]:
    """Active people of the group with one of these roles, by member number."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.group_id == group.id,
                Member.role.in_([r.value for r in roles]),
                Member.status == Status.ACTIVE.value,
            )
            .order_by(Member.number)
        )
    )


def collector_cash(session: Session, w: Window) -> dict[int, int]:
    """Cash in each collector's hand at the window's watermark (totals less later rows)."""
    t = Transfer
    accounts = session.execute(
        select(Account.id, Account.member_id, Account.debits_posted - Account.credits_posted).where(
            Account.group_id == w.group.id, Account.key.like("collector_cash:%")
        )
    ).all()
    later = (t.group_id == w.group.id, t.id > w.hi, t.phase.in_(POSTED))
    debited = dict(
        session.execute(
            select(t.debit_account_id, func.sum(t.amount))
            .where(*later)
            .group_by(t.debit_account_id)
        ).all()
    )
    credited = dict(
        session.execute(
            select(t.credit_account_id, func.sum(t.amount))
            .where(*later)
            .group_by(t.credit_account_id)
        ).all()
    )
    return {
        member_id: int(cash) - int(debited.get(aid, 0)) + int(credited.get(aid, 0))
        for aid, member_id, cash in accounts
    }


def _per_collector(session: Session, run: ReconcileRun) -> dict[int, tuple[int, int, int]]:
    """(payments, amount, declarations waiting) per collector, from the run's items."""
    i = ReconcileItem
    rows = session.execute(
        select(
            i.collector_id,
            func.count().filter(i.kind == Kind.MATCHED.value, i.code == Code.CONTRIBUTION.value),
            func.coalesce(
                func.sum(i.amount).filter(
                    i.kind == Kind.MATCHED.value, i.code == Code.CONTRIBUTION.value
                ),
                0,
            ),
            func.count().filter(i.kind == Kind.DECLARED.value),
        )
        .where(i.run_id == run.id, i.collector_id.is_not(None))
        .group_by(i.collector_id)
    ).all()
    return {c: (int(n), int(amount), int(waiting)) for c, n, amount, waiting in rows}


def _handed_over(session: Session, run: ReconcileRun) -> int:
    t = Transfer
    return int(
        session.scalar(
            select(func.coalesce(func.sum(t.amount), 0)).where(
                t.group_id == run.group_id,
                t.id > run.lo_transfer_id,
                t.id <= run.hi_transfer_id,
                t.code == Code.HANDOVER.value,
                t.reversal_of.is_(None),
            )
        )
    )


def _tell(session: Session, group: Group, run: ReconcileRun, faults: list[str]) -> list[int]:
    """Queue each collector's day, the treasurer's day and any alarm; keyed per run."""
    w = Window.of(run, group, session.get_bind().dialect.name)
    cash = collector_cash(session, w)
    per = _per_collector(session, run)
    summary = run_summary(session, run)
    written: list[int] = []

    def send(member: Member, key: str, **values: object) -> None:
        text = render(member.lang, key, date=format_date(run.business_date, member.lang), **values)
        kind = MessageKind.NOTICE if key == "ledger_alarm" else MessageKind.SUMMARY
        message_id = queue_once(
            session, f"recon:{run.id}:{key}:{member.id}", member.phone, text, kind, member=member
        )
        if message_id is not None:
            written.append(message_id)

    for collector in people(session, group, (Role.COLLECTOR,)):
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
    for treasurer in people(session, group, (Role.TREASURER,)):
        send(
            treasurer,
            "recon_treasurer",
            count=matched[0],
            amount=format_baht(matched[1]),
            handed=format_baht(_handed_over(session, run)),
            declared=open_counts[Kind.DECLARED],
            disputed=open_counts[Kind.DISPUTED],
            held=open_counts[Kind.CASH_HELD],
            short=open_counts[Kind.HANDOVER_SHORT],
        )
    if faults:
        for person in people(session, group, (Role.TREASURER, Role.CHAIR)):
            send(person, "ledger_alarm")
    return written


def reconcile_group(
    db: Database, group_id: int, day: dt.date, faults: list[str]
) -> tuple[dict[str, tuple[int, int]], list[int]]:
    """Freeze (one commit), then compute and tell (another): a kill between loses nothing."""
    with db.transaction() as session:
        run_id = freeze_run(session, session.get(Group, group_id), day).id
    with db.transaction() as session:
        run = session.get(ReconcileRun, run_id, with_for_update=True)
        group = session.get(Group, group_id)
        compute_run(session, run, group, faults)
        written = _tell(session, group, run, faults)
        return run_summary(session, run), written


def run_night(
    db: Database,
    day: dt.date,
    *,
    group_code: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> NightResult:
    """Reconcile every group (or one) for the day; the ledger is checked once for all."""
    with db.transaction() as session:
        faults = check_since_checkpoint(session).violations
    with db.transaction() as session:
        groups = list(session.scalars(select(Group).order_by(Group.code)))
        if group_code is not None:
            groups = [g for g in groups if g.code == group_code]
    by_group = ledger_faults_by_group(faults, groups)
    result = NightResult(day=day, faults=faults)
    for group in groups:
        summary, written = reconcile_group(db, group.id, day, by_group[group.id])
        result.summaries[group.code] = summary
        result.messages.extend(written)
        if progress is not None:
            progress(group.code)
    return result


def reconcile_night(day: str | None = None) -> dict[str, dict[str, tuple[int, int]]]:
    """The nightly job: reconcile all groups, send the summaries, fail loudly on faults."""
    rt = runtime.current()
    business_day = dt.date.fromisoformat(day) if day else local_today(rt.settings.timezone)
    result = run_night(rt.db, business_day)
    enqueue_sends(rt.redis, result.messages)
    if result.faults:
        log.error("reconcile %s: ledger faults: %s", business_day, result.faults)
        raise LedgerInconsistency(f"{business_day}: {len(result.faults)} ledger fault(s)")
    log.info("reconcile %s: %d group(s) done", business_day, len(result.summaries))
    return result.summaries
