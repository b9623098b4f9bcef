"""Settling a reconciliation exception, and restoring a receipt reversed by mistake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.texts import render, short_name
from gateway.services.corrections import tell_reversed
from models.actors import Actor
from models.authority import allowed
from models.disputes import Dispute
from models.ledger import (
    Account,
    Code,
    IdempotencyConflict,
    Outcome,
    Phase,
    Refusal,
    Transfer,
    TransferSpec,
    create_transfer,
    id_for_ref,
    post_pending,
    ref_for,
    resolution_of,
    reversal_of,
    reverse_transfer,
    void_pending,
)
from models.offices import Power
from models.outbox import MessageKind, queue_sms
from models.reconcile import Action, Finding, ItemKind, Resolution, open_exceptions
from models.registry import Group, Member, find_member
from models.standing import member_standing

# What each kind of exception may be settled by.
ALLOWED = {
    ItemKind.DECLARED: (Action.CONFIRM, Action.REVERSE),  # a note would leave money pending
    ItemKind.DISPUTED: (Action.CONFIRM, Action.REVERSE, Action.NOTE),
    ItemKind.HANDOVER_SHORT: (Action.CONFIRM, Action.NOTE),
    ItemKind.CASH_HELD: (Action.CONFIRM, Action.NOTE),
    ItemKind.LEDGER: (),  # only a fix of the books clears it
}


class CannotResolve(ValueError):
    """The exception cannot be settled that way; nothing was written (a key says why)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key, self.values = key, {}


def find_exception(session: Session, group: Group, what: str, today: dt.date) -> Finding:
    """The open exception a reference (#12340) or a collector (cash:<number>) names."""
    found = open_exceptions(session, group, today)
    if what.lower().startswith("cash:"):
        collector = find_member(session, group, what.split(":", 1)[1])
        matches = [
            f for f in found if f.kind == ItemKind.CASH_HELD and f.collector_id == collector.id
        ]
    else:
        transfer_id = id_for_ref(what)
        if transfer_id is None:
            raise CannotResolve(f"{what!r} is not a reference like #12340 or cash:<collector no.>")
        # The reference the person saw (a declaration's, on the receipt) or the posting's own.
        matches = [f for f in found if f.names(transfer_id)]
    if not matches:
        raise CannotResolve(f"no open exception {what} in {group.code}")
    return matches[0]


def finding_people(session: Session, finding: Finding) -> dict[str, str]:
    """The names of the member and the collector an exception is about."""
    names = {}
    for role, member_id in (("member", finding.member_id), ("collector", finding.collector_id)):
        person = session.get(Member, member_id) if member_id else None
        names[role] = person.name if person else "-"
    return names


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


def _ledger(
    session: Session, finding: Finding, action: Action, today: dt.date, by: Actor
) -> Outcome | None:
    """Move the money the action implies; None when the action moves none."""
    key, target = f"resolve:{finding.subject}", finding.transfer_id
    if finding.kind == ItemKind.DECLARED and action == Action.CONFIRM:
        return post_pending(session, key, target, today, "confirmed by the committee", by=by)
    if finding.kind == ItemKind.DECLARED and action == Action.REVERSE:
        return void_pending(session, key, target, today, "rejected by the committee", by=by)
    if finding.kind == ItemKind.DISPUTED and action == Action.REVERSE:
        return reverse_transfer(session, key, target, today, "dispute upheld", by=by)
    return None


def settler(session: Session, group: Group, by: Actor, today: dt.date) -> Member:
    """The committee member settling, or CannotResolve when this actor may not."""
    if not allowed(session, by, group.id, Power.SETTLE, today):
        raise CannotResolve("only a committee member of the group settles exceptions")
    return session.get(Member, by.member_id)


def resolve(
    session: Session,
    group: Group,
    finding: Finding,
    action: Action,
    *,
    note: str,
    by: Actor,
    today: dt.date,
) -> tuple[Resolution, list[int]]:
    """Settle one exception; returns the resolution and the ids of messages to send."""
    if action not in ALLOWED[ItemKind(finding.kind)]:
        allowed = ", ".join(a.value for a in ALLOWED[ItemKind(finding.kind)]) or "nothing"
        raise CannotResolve(f"a {finding.kind} exception can be settled by: {allowed}")
    if not note.strip():
        raise CannotResolve("say why (--note)")
    person = settler(session, group, by, today)
    outcome = _ledger(session, finding, action, today, by)
    if outcome is not None and not outcome.ok:
        # A reversal takes the money back from the collector's hands: gone to the
        # treasurer already, there is nothing there to take it from.
        short = outcome.refused == Refusal.OVERDRAFT and "collector_cash" in (outcome.detail or "")
        raise CannotResolve(
            f"the ledger refused it: {outcome.refused} {outcome.detail or ''}"
            + (
                ": the collector has handed that cash over; note it, settle it at the meeting"
                if short
                else ""
            ),
            "short_cash" if short else "ledger",
        )
    written = []
    if finding.kind == ItemKind.DISPUTED and outcome is not None and action == Action.REVERSE:
        # The member hears who reversed it and how to object; the collector hears too.
        written += tell_reversed(session, session.get(Transfer, finding.transfer_id), person.name)
    elif outcome is not None and finding.member_id is not None:
        member = session.get(Member, finding.member_id)
        original = session.get(Transfer, finding.transfer_id)
        key = "receipt" if action == Action.CONFIRM else "rejected"
        if finding.kind == ItemKind.DISPUTED:
            key = "undone"
        written.append(
            _tell_member(session, member, key, original.amount, ref_for(original.id), today)
        )
    if finding.kind == ItemKind.DISPUTED:
        dispute_id = int(finding.subject.split(":", 1)[1])
        session.get(Dispute, dispute_id).status = "resolved"
    resolution = Resolution(
        group_id=group.id,
        subject=finding.subject,
        action=action.value,
        note=note.strip()[:200],
        **by.columns(),
        transfer_id=outcome.transfer.id if outcome is not None else None,
    )
    session.add(resolution)
    session.flush()
    return resolution, written


class CannotRestore(ValueError):
    """A receipt that cannot be restored: a catalogue key and its values; nothing was written."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(render("en", key, **values))
        self.key, self.values = key, values


@dataclass(frozen=True)
class Receipt:
    """A member's contribution as people saw it, what undid it and what restored it."""

    seen: Transfer  # the reference on the member's receipt (a declaration's, or the PAY's)
    posted: Transfer  # the transfer that moved the money
    reversal: Transfer | None
    restored: Transfer | None
    member: Member
    collector: Member | None


def restore_key(transfer_id: int) -> str:
    """The idempotency key of a restoration: one per reversed transfer, ever."""
    return f"restore:{transfer_id}"


def group_of_ref(session: Session, ref: str) -> Group:
    """The group a transfer's reference belongs to, for commands that need no --group."""
    transfer_id = id_for_ref(ref)
    found = session.get(Transfer, transfer_id) if transfer_id else None
    if found is None:
        raise CannotRestore("restore_not_found", ref=ref.strip().lstrip("#").upper()[:8])
    return session.get(Group, found.group_id)


def find_receipt(session: Session, group: Group, ref: str) -> Receipt:
    """The group's contribution a reference names: the receipt's own, or its reversal's."""
    shown = ref.strip().lstrip("#").upper()[:8]
    transfer_id = id_for_ref(ref)
    found = session.get(Transfer, transfer_id) if transfer_id else None
    if found is None or found.group_id != group.id:
        raise CannotRestore("restore_not_found", ref=shown)
    if found.reversal_of is not None:
        found = session.get(Transfer, found.reversal_of)
    seen, posted = found, found
    if found.phase == Phase.PENDING:
        posted = resolution_of(session, found.id)
    elif found.phase == Phase.POST:
        seen = session.get(Transfer, found.pending_id)
    if (
        posted is None
        or posted.phase not in (Phase.SINGLE, Phase.POST)
        or posted.code != Code.CONTRIBUTION
    ):
        raise CannotRestore("restore_not_reversed", ref=seen.ref)
    restored = session.scalars(
        select(Transfer).where(Transfer.key == restore_key(posted.id))
    ).first()
    return Receipt(
        seen=seen,
        posted=posted,
        reversal=reversal_of(session, posted.id),
        restored=restored,
        member=session.get(Member, posted.member_id),
        collector=session.get(Member, posted.collector_id) if posted.collector_id else None,
    )


@dataclass(frozen=True)
class Restored:
    """A receipt restored: the new contribution transfer, and whether it existed already."""

    receipt: Receipt
    transfer: Transfer
    already: bool = False


def restore_receipt(
    session: Session, group: Group, ref: str, *, reason: str, by: Actor, today: dt.date
) -> tuple[Restored, list[int]]:
    """Post a reversed receipt again as a new contribution; the member and collector are told."""
    receipt = find_receipt(session, group, ref)
    if receipt.restored is not None:
        return Restored(receipt, receipt.restored, already=True), []
    if receipt.reversal is None:
        raise CannotRestore("restore_not_reversed", ref=receipt.seen.ref)
    if not reason.strip():
        raise CannotRestore("restore_reason")
    if not allowed(session, by, group.id, Power.SETTLE, today):
        raise CannotRestore("restore_not_committee")
    posted = receipt.posted
    spec = TransferSpec(
        # Keyed by the reversed transfer: whoever restores it, it is restored once.
        key=restore_key(posted.id),
        group_id=group.id,
        debit=session.get(Account, posted.debit_account_id).key,
        credit=session.get(Account, posted.credit_account_id).key,
        amount=posted.amount,
        code=Code.CONTRIBUTION,
        business_date=today,
        member_id=posted.member_id,
        collector_id=posted.collector_id,
        note=f"restores #{receipt.seen.ref}: {reason.strip()}"[:200],
        by=by,
    )
    try:
        outcome = create_transfer(session, spec)
    except IdempotencyConflict:  # restored at this very moment by someone else
        stored = session.scalars(select(Transfer).where(Transfer.key == spec.key)).one()
        return Restored(receipt, stored, already=True), []
    if not outcome.ok:
        raise CannotRestore("restore_not_reversed", ref=receipt.seen.ref)
    if outcome.replayed:
        return Restored(receipt, outcome.transfer, already=True), []
    amount, member = format_baht(posted.amount), receipt.member
    written = [
        _tell_member(session, member, "receipt_restored", posted.amount, receipt.seen.ref, today)
    ]
    if receipt.collector is not None:
        collector = receipt.collector
        text = render(
            collector.lang,
            "receipt_restored_collector",
            ref=receipt.seen.ref,
            amount=amount,
            name=short_name(member.name),
        )
        message = queue_sms(session, collector.phone, text, MessageKind.NOTICE, member=collector)
        if message is not None:
            written.append(message.id)
    return Restored(receipt, outcome.transfer), written
