"""The SMS desk: one sender, their group and business day, and what every command shares.

A command's handler (collector.py, treasurer.py, member.py, welfare.py) receives the Desk;
the table in commands.py says who may send each command and checks it once, before the
handler runs. Replies and notices are written to the outbox in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.flows.dates import format_date
from gateway.flows.money import format_baht
from gateway.flows.sms_grammar import Who
from gateway.flows.texts import render, short_name, standing_text
from models.actors import Actor
from models.base import utcnow
from models.figures import cash_with_collectors
from models.ledger import Account, Transfer, id_for_ref
from models.offices import POWERS, Office, Power, holders, may, offices_of
from models.outbox import InboundMessage, MessageKind, OutboundMessage, queue_sms, quiet_hours_start
from models.phones import InvalidPhone, normalize_phone
from models.registry import Group, Member, Status
from models.standing import member_standing

# What a refusal says: who may send the command.
REFUSALS = {
    Power.TAKE_CASH: "err_collector_only",
    Power.DAY_SUMMARY: "err_summary_only",
    Power.HAND_OVER: "err_treasurer_only",
    Power.RESET_PIN: "err_pinreset_only",
    Power.SEE_BOOKS: "err_officials_only",
    Power.FILE_CLAIM: "claim_not_officer",
    Power.DECIDE_CLAIM: "err_committee_only",
}


class Refused(Exception):
    """A command that cannot be carried out; the message key and values say why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


class Desk:
    """One sender's commands, within their own group, on one business day."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        sender: Member,
        inbound: InboundMessage,
        today: dt.date,
        household: list[Member] | None = None,
    ) -> None:
        self.session, self.settings = session, settings
        # Everyone sharing the sender's phone (a household); the sender is the first of them.
        self.household: list[Member] = household or [sender]
        self.sender, self.inbound, self.today = sender, inbound, today
        self.group: Group = sender.group
        self.lang = sender.lang
        self.messages: list[OutboundMessage] = []
        # What the sender may do today, and who they are in what they write.
        self.offices: frozenset[Office] = offices_of(session, sender.id, today)
        self.actor = Actor.person(sender.id)

    def tell(
        self,
        member: Member,
        key: str,
        kind: MessageKind = MessageKind.NOTICE,
        *,
        quiet: bool = False,
        **values: object,
    ) -> None:
        """Write a message to a member in their own language (quiet: not before 08:00)."""
        values.setdefault("ussd", self.settings.ussd_code)
        text = render(member.lang, key, **values)
        message = queue_sms(
            self.session,
            member.phone,
            text,
            kind,
            member=member,
            inbound_id=self.inbound.id,
            flush=False,
        )
        if message is not None:
            if quiet:
                message.not_before = quiet_hours_start(utcnow(), self.settings.timezone)
            self.messages.append(message)

    def officers(self, power: Power) -> list[Member]:
        """The group's active members holding an office with this power today."""
        return list(
            self.session.scalars(
                select(Member)
                .where(
                    Member.group_id == self.group.id,
                    Member.id.in_(holders(POWERS[power], self.today)),
                    Member.status == Status.ACTIVE.value,
                )
                .order_by(Member.number)
            )
        )

    def reply(self, key: str, **values: object) -> str:
        """The reply text to the sender, in their language."""
        values.setdefault("ussd", self.settings.ussd_code)
        return render(self.lang, key, **values)

    def act_as(self, member: Member) -> None:
        """From a shared phone, act as the household member a record belongs to."""
        self.sender, self.lang = member, member.lang
        self.offices = offices_of(self.session, member.id, self.today)
        self.actor = Actor.person(member.id)

    def person(self, who: Who) -> Member:
        """The member of the sender's group a command names, or Refused."""
        member = None
        if who.number is not None:
            member = self.session.scalars(
                select(Member).where(Member.group_id == self.group.id, Member.number == who.number)
            ).first()
            shown = str(who.number)
        else:
            shown = who.phone or ""
            try:
                phone = normalize_phone(who.phone or "")
            except InvalidPhone:
                phone = None
            if phone:
                found = self.session.scalars(
                    select(Member)
                    .where(Member.group_id == self.group.id, Member.phone == phone)
                    .order_by(Member.number)
                ).all()
                if len(found) > 1:  # a household's phone: say who shares it, by number
                    listed = ", ".join(f"{m.number} {short_name(m.name)}" for m in found[:3])
                    raise Refused("err_phone_several", who=shown, listed=listed)
                member = found[0] if found else None
        if member is None:
            raise Refused("err_member", who=shown)
        return member

    def require(self, power: Power) -> None:
        """Refuse unless one of the sender's offices carries this power."""
        if not may(self.offices, power):
            raise Refused(REFUSALS.get(power, "err_committee_only"))

    def may(self, power: Power) -> bool:
        """True when one of the sender's offices carries this power."""
        return may(self.offices, power)

    def account(self, key: str) -> Account:
        """An account of the sender's group, fresh from the database."""
        return self.session.scalars(
            select(Account)
            .where(Account.group_id == self.group.id, Account.key == key)
            .execution_options(populate_existing=True)
        ).one()

    def cash_of(self, collector: Member) -> int:
        """Cash in a collector's hand, in satang."""
        return cash_with_collectors(self.session, self.group, collector.id)

    def own_transfer(self, ref: str) -> Transfer:
        """The transfer a reference names, in the sender's group, or Refused."""
        transfer_id = id_for_ref(ref)
        transfer = self.session.get(Transfer, transfer_id) if transfer_id else None
        if transfer is None or transfer.group_id != self.group.id:
            raise Refused("err_ref", ref=ref)
        return transfer

    def receipt(self, member: Member, amount: int, ref: str, key: str = "receipt") -> None:
        """Tell a member what the fund received and where they stand now."""
        standing = member_standing(self.session, member, self.today)
        self.tell(
            member,
            key,
            MessageKind.RECEIPT,
            amount=format_baht(amount),
            date=format_date(standing.paid_through, member.lang),
            ref=ref,
        )

    def state_text(self, days_behind: int) -> str:
        """'3 days behind', 'up to date' or '30 days ahead', in the sender's language."""
        return standing_text(self.lang, days_behind)
