"""What a collector sends: PAY, OK, NO for a declaration, UNDO, SUM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import aliased

from gateway.flows.dates import format_date
from gateway.flows.money import baht_to_satang, format_baht
from gateway.flows.sms_grammar import Command
from gateway.flows.texts import short_name
from gateway.services.sms.desk import Desk, Refused
from models.base import utcnow
from models.figures import (
    cash_with_collectors,
    open_exception_count,
    received,
    waiting_declarations,
)
from models.ledger import (
    Code,
    Phase,
    Refusal,
    Transfer,
    TransferSpec,
    create_transfer,
    post_pending,
    resolution_of,
    reversal_of,
    reverse_transfer,
    void_pending,
)
from models.offices import Power
from models.registry import Member, Status
from models.standing import member_standing

# People resend when a reply is slow: the same PAY or RCV within this is asked about first.
REPEAT_WINDOW = dt.timedelta(minutes=15)
YEAR_DAYS = 365


def pay(desk: Desk, command: Command) -> str:
    """A collector took cash from a member: post it, receipt the member."""
    member = desk.person(command.who)
    if member.status in (Status.WITHDRAWN, Status.DECEASED):
        raise Refused("err_left", name=short_name(member.name), number=member.number)
    amount = baht_to_satang(command.baht)
    most = YEAR_DAYS * desk.group.daily_rate_satang
    if amount > most:
        raise Refused("err_amount_max", max=format_baht(most))
    same = (Code.CONTRIBUTION, amount, desk.sender.id, member.id)
    if (asked := repeat_question(desk, command, "pay_twice", *same, member.number)) is not None:
        return asked
    outcome = create_transfer(
        desk.session,
        TransferSpec(
            key=f"sms:{desk.inbound.id}",
            group_id=desk.group.id,
            debit=f"collector_cash:{desk.sender.id}",
            credit=f"member:{member.id}",
            amount=amount,
            code=Code.CONTRIBUTION,
            business_date=desk.today,
            member_id=member.id,
            collector_id=desk.sender.id,
            by=desk.actor,
        ),
    )
    ref = outcome.transfer.ref
    desk.receipt(member, amount, ref)
    return desk.reply(
        "pay_ok",
        amount=format_baht(amount),
        name=short_name(member.name),
        number=member.number,
        ref=ref,
    )


def repeat_question(
    desk: Desk,
    command: Command,
    key: str,
    code: Code,
    amount: int,
    collector_id: int,
    member_id: int | None,
    number: int,
) -> str | None:
    """What to ask when the same money was recorded a moment ago, unless sent AGAIN."""
    if command.again or (first := recent_same(desk, code, amount, collector_id, member_id)) is None:
        return None
    return desk.reply(
        key, ref=first.ref, amount=format_baht(amount), number=number, baht=command.baht
    )


def recent_same(
    desk: Desk, code: Code, amount: int, collector_id: int, member_id: int | None
) -> Transfer | None:
    """The same money recorded a moment ago (a payment to a collector, a hand-over), if any."""
    reversal = aliased(Transfer)
    return desk.session.scalars(
        select(Transfer)
        .where(
            Transfer.group_id == desk.group.id,
            Transfer.collector_id == collector_id,
            Transfer.member_id == member_id
            if member_id is not None
            else Transfer.member_id.is_(None),
            Transfer.amount == amount,
            Transfer.code == code.value,
            Transfer.phase == Phase.SINGLE.value,
            Transfer.business_date == desk.today,
            Transfer.created_at >= utcnow() - REPEAT_WINDOW,
            ~select(reversal.id).where(reversal.reversal_of == Transfer.id).exists(),
        )
        .order_by(Transfer.id.desc())
    ).first()


def open_declaration(desk: Desk, ref: str) -> Transfer:
    """A member's pending declaration to this collector that is still open."""
    pending = desk.own_transfer(ref)
    if pending.phase != Phase.PENDING or pending.collector_id != desk.sender.id:
        raise Refused("err_ref", ref=ref)
    refuse_if_resolved(desk, pending)
    return pending


def refuse_if_resolved(desk: Desk, pending: Transfer) -> None:
    """Refuse, saying what became of it, a declaration that was confirmed, rejected or withdrawn."""
    resolution = resolution_of(desk.session, pending.id)
    if resolution is None:
        return
    if resolution.phase == Phase.POST:
        raise Refused("err_done_confirmed", ref=pending.ref)
    if resolution.by_member_id == pending.member_id:
        raise Refused("err_done_withdrawn", ref=pending.ref)
    raise Refused("err_done_rejected", ref=pending.ref)


def ok(desk: Desk, command: Command) -> str:
    """A collector confirms a member's declaration: post it, receipt the member."""
    pending = open_declaration(desk, command.ref)
    outcome = post_pending(desk.session, f"ok:{pending.id}", pending.id, desk.today, by=desk.actor)
    if not outcome.ok:
        raise Refused("err_done", ref=pending.ref)
    member = desk.session.get(Member, pending.member_id)
    desk.receipt(member, pending.amount, pending.ref)
    return desk.reply(
        "ok_ok",
        amount=format_baht(pending.amount),
        name=short_name(member.name),
        number=member.number,
        ref=pending.ref,
    )


def reject_declaration(desk: Desk, pending: Transfer) -> str:
    """Void a declaration the collector did not receive; tell the member."""
    refuse_if_resolved(desk, pending)
    outcome = void_pending(desk.session, f"no:{pending.id}", pending.id, desk.today, by=desk.actor)
    if not outcome.ok:
        raise Refused("err_done", ref=pending.ref)
    member = desk.session.get(Member, pending.member_id)
    desk.tell(member, "rejected", ref=pending.ref, amount=format_baht(pending.amount))
    return desk.reply(
        "no_ok",
        ref=pending.ref,
        amount=format_baht(pending.amount),
        name=short_name(member.name),
    )


def undo(desk: Desk, command: Command) -> str:
    """A collector takes back their own entry of today with a reversal."""
    transfer = desk.own_transfer(command.ref)
    target = transfer
    if transfer.phase == Phase.PENDING:
        target = resolution_of(desk.session, transfer.id)
    mine = target is not None and target.collector_id == desk.sender.id
    posted = mine and target.phase in (Phase.SINGLE, Phase.POST)
    if not posted or target.code != Code.CONTRIBUTION:
        raise Refused("err_ref", ref=command.ref)
    if target.phase == Phase.POST:
        # A declaration the collector confirmed is the member's money now.
        raise Refused("err_undo_declared", ref=transfer.ref)
    if target.business_date != desk.today:
        raise Refused("err_undo_day")
    if reversal_of(desk.session, target.id) is not None:
        raise Refused("err_done", ref=transfer.ref)
    outcome = reverse_transfer(
        desk.session, f"undo:{target.id}", target.id, desk.today, by=desk.actor
    )
    if outcome.refused == Refusal.OVERDRAFT:
        raise Refused("err_undo_cash", ref=transfer.ref)
    if not outcome.ok:
        raise Refused("err_done", ref=transfer.ref)
    member = desk.session.get(Member, target.member_id)
    standing = member_standing(desk.session, member, desk.today)
    desk.tell(
        member,
        "undone",
        ref=transfer.ref,
        amount=format_baht(target.amount),
        date=format_date(standing.paid_through, member.lang),
    )
    return desk.reply(
        "undo_ok",
        ref=transfer.ref,
        amount=format_baht(target.amount),
        name=short_name(member.name),
    )


def day_summary(desk: Desk, _command: Command) -> str:
    """A collector's day; for the treasurer and the chair, the group's day."""
    if not desk.may(Power.TAKE_CASH) or desk.may(Power.HAND_OVER):
        taken = received(desk.session, desk.group, desk.today, desk.today)
        return desk.reply(
            "sum_group",
            count=taken.count,
            taken=format_baht(taken.satang),
            cash=format_baht(cash_with_collectors(desk.session, desk.group)),
            open=open_exception_count(desk.session, desk.group, desk.today),
        )
    taken = received(desk.session, desk.group, desk.today, desk.today, collector_id=desk.sender.id)
    waiting = waiting_declarations(desk.session, desk.group, desk.sender.id)
    return desk.reply(
        "sum",
        count=taken.count,
        amount=format_baht(taken.satang),
        cash=format_baht(desk.cash_of(desk.sender)),
        pending=waiting.count,
    )
