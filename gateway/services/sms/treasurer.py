"""What the treasurer sends: RCV (a hand-over) and PINRESET."""

from __future__ import annotations

from gateway.flows.money import baht_to_satang, format_baht
from gateway.flows.sms_grammar import Command
from gateway.flows.texts import short_name
from gateway.services.sms.collector import repeat_question
from gateway.services.sms.desk import Desk, Refused
from models.ledger import (
    Code,
    TransferSpec,
    create_transfer,
)
from models.offices import Office, offices_of
from models.registry import record_change


def rcv(desk: Desk, command: Command) -> str:
    """The treasurer took cash from a collector: post the hand-over."""
    collector = desk.person(command.who)
    if Office.COLLECTOR not in offices_of(desk.session, collector.id, desk.today):
        raise Refused("err_not_collector", who=short_name(collector.name))
    amount = baht_to_satang(command.baht)
    cash = desk.cash_of(collector)
    refusal = Refused(
        "err_cash",
        name=short_name(collector.name),
        cash=format_baht(cash),
        amount=format_baht(amount),
    )
    if amount > cash:
        raise refusal
    same = (Code.HANDOVER, amount, collector.id, None)
    if (asked := repeat_question(desk, command, "rcv_twice", *same, collector.number)) is not None:
        return asked
    outcome = create_transfer(
        desk.session,
        TransferSpec(
            key=f"sms:{desk.inbound.id}",
            group_id=desk.group.id,
            debit="fund_bank",
            credit=f"collector_cash:{collector.id}",
            amount=amount,
            code=Code.HANDOVER,
            business_date=desk.today,
            collector_id=collector.id,
            by=desk.actor,
        ),
    )
    if not outcome.ok:
        raise refusal
    left = format_baht(desk.cash_of(collector))
    ref = outcome.transfer.ref
    desk.tell(collector, "handed_over", amount=format_baht(amount), ref=ref, cash=left)
    return desk.reply(
        "rcv_ok",
        name=short_name(collector.name),
        number=collector.number,
        amount=format_baht(amount),
        ref=ref,
        cash=left,
    )


def pinreset(desk: Desk, command: Command) -> str:
    """The treasurer, chair or secretary clears a member's PIN so they can set a new one."""
    member = desk.person(command.who)
    record_change(desk.session, member, "pin_reset", None, None, desk.actor)
    member.pin_hash = None
    member.pin_tries = 0
    member.pin_locked_until = None
    desk.session.flush()
    desk.tell(member, "pin_was_reset")
    return desk.reply("pinreset_ok", name=short_name(member.name), number=member.number)
