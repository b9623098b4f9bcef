"""Settling a reconciliation exception: confirm, reverse or note it, and keep how."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gateway.corrections import tell_reversed
from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.texts import render
from models.disputes import Dispute
from models.ledger import (
    Outcome,
    Transfer,
    id_for_ref,
    post_pending,
    ref_for,
    reverse_transfer,
    void_pending,
)
from models.outbox import Kind as MessageKind
from models.outbox import queue_sms
from models.reconcile import Action, Finding, Kind, Resolution, open_exceptions
from models.registry import Group, Member, find_member
from models.standing import member_standing

# What each kind of exception may be settled by.
ALLOWED = {
    Kind.DECLARED: (Action.CONFIRM, Action.REVERSE),  # a note would leave money pending
    Kind.DISPUTED: (Action.CONFIRM, Action.REVERSE, Action.NOTE),
    Kind.HANDOVER_SHORT: (Action.CONFIRM, Action.NOTE),
    Kind.CASH_HELD: (Action.CONFIRM, Action.NOTE),
    Kind.LEDGER: (),  # only a fix of the books clears it
}


class CannotResolve(ValueError):
    """The exception cannot be settled that way; nothing was written."""


def find_exception(session: Session, group: Group, what: str, today: dt.date) -> Finding:
    """The open exception a reference (#01K7) or a collector (cash:<number>) names."""
    found = open_exceptions(session, group, today)
    if what.lower().startswith("cash:"):
        collector = find_member(session, group, what.split(":", 1)[1])
        matches = [f for f in found if f.kind == Kind.CASH_HELD and f.collector_id == collector.id]
    else:
        transfer_id = id_for_ref(what)
        if transfer_id is None:
            raise CannotResolve(f"{what!r} is not a reference like #01K7 or cash:<collector no.>")
        # The reference the person saw (a declaration's, on the receipt) or the posting's own.
        matches = [f for f in found if f.names(transfer_id)]
    if not matches:
        raise CannotResolve(f"no open exception {what} in {group.code}")
    return matches[0]


def _tell_member(
    session: Session, member: Member, key: str, amount: int, ref: str, today: dt.date
) -> int:
    standing = member_standing(session, member, today)
    text = render(
        member.lang,
        key,
        amount=format_baht(amount),
        ref=ref,
        date=format_date(standing.paid_through, member.lang),
    )
    return queue_sms(session, member.phone, text, MessageKind.RECEIPT, member=member).id


def _ledger(session: Session, finding: Finding, action: Action, today: dt.date) -> Outcome | None:
    """Move the money the action implies; None when the action moves none."""
    key = f"resolve:{finding.subject}"
    if finding.kind == Kind.DECLARED and action == Action.CONFIRM:
        return post_pending(session, key, finding.transfer_id, today, "confirmed by the committee")
    if finding.kind == Kind.DECLARED and action == Action.REVERSE:
        return void_pending(session, key, finding.transfer_id, today, "rejected by the committee")
    if finding.kind == Kind.DISPUTED and action == Action.REVERSE:
        return reverse_transfer(session, key, finding.transfer_id, today, "dispute upheld")
    return None


def resolve(
    session: Session,
    group: Group,
    finding: Finding,
    action: Action,
    *,
    note: str,
    by: str,
    today: dt.date,
) -> tuple[Resolution, list[int]]:
    """Settle one exception; returns the resolution and the ids of messages to send."""
    if action not in ALLOWED[Kind(finding.kind)]:
        allowed = ", ".join(a.value for a in ALLOWED[Kind(finding.kind)]) or "nothing"
        raise CannotResolve(f"a {finding.kind} exception can be settled by: {allowed}")
    if not note.strip() or not by.strip():
        raise CannotResolve("say who settles it and why (--by and --note)")
    outcome = _ledger(session, finding, action, today)
    if outcome is not None and not outcome.ok:
        raise CannotResolve(f"the ledger refused it: {outcome.refused} {outcome.detail or ''}")
    written = []
    if finding.kind == Kind.DISPUTED and outcome is not None and action == Action.REVERSE:
        # The member hears who reversed it and how to object; the collector hears too.
        written += tell_reversed(session, session.get(Transfer, finding.transfer_id), by)
    elif outcome is not None and finding.member_id is not None:
        member = session.get(Member, finding.member_id)
        original = session.get(Transfer, finding.transfer_id)
        key = "receipt" if action == Action.CONFIRM else "rejected"
        if finding.kind == Kind.DISPUTED:
            key = "undone"
        written.append(
            _tell_member(session, member, key, original.amount, ref_for(original.id), today)
        )
    if finding.kind == Kind.DISPUTED:
        dispute_id = int(finding.subject.split(":", 1)[1])
        session.get(Dispute, dispute_id).status = "resolved"
    resolution = Resolution(
        group_id=group.id,
        subject=finding.subject,
        action=action.value,
        note=note.strip()[:200],
        by_name=by.strip()[:120],
        transfer_id=outcome.transfer.id if outcome is not None else None,
    )
    session.add(resolution)
    session.flush()
    return resolution, written
