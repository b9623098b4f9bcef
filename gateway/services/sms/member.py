"""What any member sends: BAL, NO (withdraw or dispute), HELP, STOP, START."""

from __future__ import annotations

from sqlalchemy import select

from gateway.flows.dates import BE_OFFSET, format_date
from gateway.flows.gsm import sms_parts
from gateway.flows.money import format_baht
from gateway.flows.sms_grammar import Command
from gateway.flows.texts import privacy_reply, short_name
from gateway.services.sms import collector
from gateway.services.sms.desk import Desk, Refused
from models.disputes import Dispute
from models.ledger import (
    Phase,
    Transfer,
    resolution_of,
    reversal_of,
    void_pending,
)
from models.offices import Power
from models.passbook import passbook
from models.registry import Member
from models.standing import member_standing


def bal(desk: Desk, command: Command) -> str:
    """A member's own balance, or a collector or treasurer asking about a member."""
    if command.who is None and len(desk.household) > 1:
        return household_balances(desk)
    own = [m for m in desk.household if command.who and m.number == command.who.number]
    if own:  # one of the household asks for themself by number
        desk.act_as(own[0])
        command = Command(command.verb)
    if command.who is None:
        standing = member_standing(desk.session, desk.sender, desk.today)
        return desk.reply(
            "bal_self",
            total=format_baht(standing.balance_satang),
            date=format_date(standing.paid_through, desk.lang),
            state=desk.state_text(standing.days_behind),
        )
    desk.require(Power.SEE_BOOKS)
    member = desk.person(command.who)
    standing = member_standing(desk.session, member, desk.today)
    return desk.reply(
        "bal_other",
        name=short_name(member.name),
        number=member.number,
        total=format_baht(standing.balance_satang),
        date=format_date(standing.paid_through, desk.lang),
        state=desk.state_text(standing.days_behind),
    )


def statement(desk: Desk, command: Command) -> str:
    """STMT / สมุด: the sender's passbook totals for this year, in one part."""
    del command
    book = passbook(desk.session, desk.sender, desk.today.year, desk.today)
    return desk.reply(
        "stmt",
        year=desk.today.year + (BE_OFFSET if desk.lang == "th" else 0),
        given=format_baht(book.given_in_year),
        date=format_date(book.paid_through, desk.lang),
        received=format_baht(book.received_in_year),
    )


HOUSEHOLD_PARTS = 2  # a shared phone's BAL answers for everyone in this many SMS parts


def household_balances(desk: Desk) -> str:
    """BAL from a shared phone: one line per member, as many as fit in two parts."""
    lines = []
    for member in desk.household:
        standing = member_standing(desk.session, member, desk.today)
        lines.append(
            desk.reply(
                "bal_household_line",
                number=member.number,
                name=short_name(member.name),
                total=format_baht(standing.balance_satang),
                date=format_date(standing.paid_through, desk.lang),
            )
        )
    text = desk.reply("bal_household", count=len(lines), lines="\n".join(lines))
    while sms_parts(text) > HOUSEHOLD_PARTS and len(lines) > 1:
        lines.pop()
        more = desk.reply("bal_household_more", more=len(desk.household) - len(lines))
        text = desk.reply(
            "bal_household", count=len(desk.household), lines="\n".join([*lines, more])
        )
    return text


def no(desk: Desk, command: Command) -> str:
    """A collector rejects a declaration, or a member disputes a receipt."""
    transfer = desk.own_transfer(command.ref)
    for member in desk.household[1:]:  # a shared phone: act as whoever the entry is for
        if transfer.member_id == member.id:
            desk.act_as(member)
    if transfer.phase == Phase.PENDING and transfer.collector_id == desk.sender.id:
        return collector.reject_declaration(desk, transfer)
    if transfer.phase == Phase.PENDING and transfer.member_id == desk.sender.id:
        resolution = resolution_of(desk.session, transfer.id)
        if resolution is None:
            return withdraw_declaration(desk, transfer)
        if resolution.phase == Phase.VOID:
            raise Refused("err_done", ref=transfer.ref)
    return dispute(desk, transfer, command.ref)


def withdraw_declaration(desk: Desk, pending: Transfer) -> str:
    """A member takes back their own declaration still waiting; the collector is told."""
    key, note = f"withdraw:{pending.id}", "withdrawn by the member"
    outcome = void_pending(desk.session, key, pending.id, desk.today, note, by=desk.actor)
    if not outcome.ok:
        raise Refused("err_done", ref=pending.ref)
    collector = desk.session.get(Member, pending.collector_id)
    amount = format_baht(pending.amount)
    desk.tell(
        collector,
        "withdrawn",
        name=short_name(desk.sender.name),
        number=desk.sender.number,
        ref=pending.ref,
        amount=amount,
    )
    return desk.reply("withdraw_ok", ref=pending.ref, amount=amount)


def dispute(desk: Desk, transfer: Transfer, ref: str) -> str:
    """A member says a receipt of theirs is wrong: file it, tell the treasurer now."""
    target = transfer
    if transfer.phase == Phase.PENDING:
        target = resolution_of(desk.session, transfer.id) or transfer
    money_moved = target.phase in (Phase.SINGLE, Phase.POST)
    if transfer.member_id != desk.sender.id or not money_moved:
        raise Refused("err_ref", ref=ref)
    # Once the committee has reversed it, a NO objects to the reversal.
    target = reversal_of(desk.session, target.id) or target
    exists = desk.session.scalars(
        select(Dispute.id).where(
            Dispute.transfer_id == target.id, Dispute.member_id == desk.sender.id
        )
    ).first()
    if exists is None:
        desk.session.add(
            Dispute(
                group_id=desk.group.id,
                transfer_id=target.id,
                member_id=desk.sender.id,
                inbound_id=desk.inbound.id,
                status="open",
            )
        )
        desk.session.flush()
        for treasurer in desk.officers(Power.HAND_OVER):
            desk.tell(
                treasurer,
                "dispute_alert",
                quiet=True,
                name=short_name(desk.sender.name),
                number=desk.sender.number,
                ref=transfer.ref,
                amount=format_baht(target.amount),
            )
    return desk.reply("disputed", ref=transfer.ref)


def help(desk: Desk, _command: Command) -> str:
    """What this sender can send."""
    if desk.may(Power.HAND_OVER):
        return desk.reply("help_treasurer")
    if desk.may(Power.TAKE_CASH):
        return desk.reply("help_collector")
    return desk.reply("help_committee" if desk.offices else "help_member")


def privacy(desk: Desk, _command: Command) -> str:
    """What the fund does with the sender's data, and where to see or correct it."""
    return privacy_reply(desk.lang, desk.settings.privacy_contact)


def stop(desk: Desk, _command: Command) -> str:
    """Opt out of reminders and summaries (never receipts), for everyone on the phone."""
    for member in desk.household:
        member.reminders_opt_out = True
    desk.session.flush()
    return desk.reply("stopped")


def start(desk: Desk, _command: Command) -> str:
    """Opt back in to reminders, for everyone on the phone."""
    for member in desk.household:
        member.reminders_opt_out = False
    desk.session.flush()
    return desk.reply("started")
