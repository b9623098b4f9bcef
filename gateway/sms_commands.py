"""Carry out one inbound SMS: who sent it, may they, what changes, what everyone is told.

The grammar (gateway/flows/sms_grammar.py) says what a message means; this module
checks authority against the registry, posts to the ledger, and writes every reply,
receipt and notice to the outbox in the caller's transaction. Nothing is sent here:
the caller commits, then enqueues the message ids.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from config.settings import Settings
from gateway.claims import benefit_name, tell_paid
from gateway.flows.dates import format_date
from gateway.flows.money import baht_to_satang, format_baht
from gateway.flows.sms_grammar import Command, ParseError, Who, parse
from gateway.flows.texts import MEMBERSHIP_ENDED, UNKNOWN_SENDER, render, short_name
from models.base import utcnow
from models.disputes import Dispute
from models.figures import (
    cash_with_collectors,
    open_exception_count,
    received,
    waiting_declarations,
)
from models.ledger import (
    Account,
    Code,
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
from models.outbox import InboundMessage, Kind, OutboundMessage, queue_sms, quiet_hours_start
from models.phones import InvalidPhone, mask_phone, normalize_phone, phone_key
from models.registry import ENDED, Group, Member, Role, Status, find_by_phone
from models.standing import member_standing
from models.welfare import Claim, ClaimRefused, decide_claim, file_claim

log = logging.getLogger(__name__)
UNKNOWN_REPLY_EVERY = dt.timedelta(hours=24)  # strangers are answered once a day at most
# A collector resends when a reply is slow: the same PAY within this is asked about first.
REPEAT_WINDOW = dt.timedelta(minutes=15)
YEAR_DAYS = 365
COMMITTEE = (Role.COLLECTOR, Role.TREASURER, Role.CHAIR)


@dataclass(frozen=True)
class InboundSms:
    """An inbound SMS as the provider sent it, parsed at the edge."""

    provider_id: str
    from_phone: str
    text: str
    to_code: str | None = None
    received_at: dt.datetime | None = None
    link_id: str | None = None
    network_code: str | None = None


@dataclass
class Handled:
    """The reply to show the sender, and the outbox rows to send after commit."""

    reply: str
    message_ids: list[int] = field(default_factory=list)
    repeated: bool = False
    conflict: bool = False  # a known provider id from a different sender


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
    ) -> None:
        self.session, self.settings = session, settings
        self.sender, self.inbound, self.today = sender, inbound, today
        self.group: Group = sender.group
        self.lang = sender.lang
        self.messages: list[OutboundMessage] = []

    # -- helpers ---------------------------------------------------------------------

    def tell(
        self,
        member: Member,
        key: str,
        kind: Kind = Kind.NOTICE,
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

    def officers(self, *roles: Role) -> list[Member]:
        """The group's active members holding one of these offices."""
        return list(
            self.session.scalars(
                select(Member)
                .where(
                    Member.group_id == self.group.id,
                    Member.role.in_([r.value for r in roles]),
                    Member.status == Status.ACTIVE.value,
                )
                .order_by(Member.number)
            )
        )

    def reply(self, key: str, **values: object) -> str:
        """The reply text to the sender, in their language."""
        values.setdefault("ussd", self.settings.ussd_code)
        return render(self.lang, key, **values)

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
                member = self.session.scalars(
                    select(Member).where(Member.group_id == self.group.id, Member.phone == phone)
                ).first()
        if member is None:
            raise Refused("err_member", who=shown)
        return member

    def require(self, *roles: Role) -> None:
        """Refuse unless the sender has one of these roles."""
        if self.sender.role not in roles:
            key = "err_collector_only" if Role.COLLECTOR in roles else "err_treasurer_only"
            raise Refused(key)

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
            Kind.RECEIPT,
            amount=format_baht(amount),
            date=format_date(standing.paid_through, member.lang),
            ref=ref,
        )

    def state_text(self, days_behind: int) -> str:
        """'3 days behind', 'up to date' or '30 days ahead', in the sender's language."""
        if days_behind > 0:
            return self.reply("behind", days=days_behind)
        if days_behind < 0:
            return self.reply("ahead", days=-days_behind)
        return self.reply("even")

    # -- commands --------------------------------------------------------------------

    def pay(self, command: Command) -> str:
        """A collector took cash from a member: post it, receipt the member."""
        self.require(Role.COLLECTOR)
        member = self.person(command.who)
        if member.status in (Status.WITHDRAWN, Status.DECEASED):
            raise Refused("err_left", name=short_name(member.name), number=member.number)
        amount = baht_to_satang(command.baht)
        most = YEAR_DAYS * self.group.daily_rate_satang
        if amount > most:
            raise Refused("err_amount_max", max=format_baht(most))
        if not command.again and (first := self.recent_same_payment(member, amount)):
            return self.reply(
                "pay_twice",
                ref=first.ref,
                amount=format_baht(amount),
                number=member.number,
                baht=command.baht,
            )
        outcome = create_transfer(
            self.session,
            TransferSpec(
                key=f"sms:{self.inbound.id}",
                group_id=self.group.id,
                debit=f"collector_cash:{self.sender.id}",
                credit=f"member:{member.id}",
                amount=amount,
                code=Code.CONTRIBUTION,
                business_date=self.today,
                member_id=member.id,
                collector_id=self.sender.id,
            ),
        )
        ref = outcome.transfer.ref
        self.receipt(member, amount, ref)
        return self.reply(
            "pay_ok",
            amount=format_baht(amount),
            name=short_name(member.name),
            number=member.number,
            ref=ref,
        )

    def recent_same_payment(self, member: Member, amount: int) -> Transfer | None:
        """The sender's payment of the same amount from the member a moment ago, if any."""
        reversal = aliased(Transfer)
        return self.session.scalars(
            select(Transfer)
            .where(
                Transfer.group_id == self.group.id,
                Transfer.collector_id == self.sender.id,
                Transfer.member_id == member.id,
                Transfer.amount == amount,
                Transfer.code == Code.CONTRIBUTION.value,
                Transfer.phase == Phase.SINGLE.value,
                Transfer.business_date == self.today,
                Transfer.created_at >= utcnow() - REPEAT_WINDOW,
                ~select(reversal.id).where(reversal.reversal_of == Transfer.id).exists(),
            )
            .order_by(Transfer.id.desc())
        ).first()

    def open_declaration(self, ref: str) -> Transfer:
        """A member's pending declaration to this collector that is still open."""
        pending = self.own_transfer(ref)
        if pending.phase != Phase.PENDING or pending.collector_id != self.sender.id:
            raise Refused("err_ref", ref=ref)
        if resolution_of(self.session, pending.id) is not None:
            raise Refused("err_done", ref=ref)
        return pending

    def ok(self, command: Command) -> str:
        """A collector confirms a member's declaration: post it, receipt the member."""
        self.require(Role.COLLECTOR)
        pending = self.open_declaration(command.ref)
        outcome = post_pending(self.session, f"ok:{pending.id}", pending.id, self.today)
        if not outcome.ok:
            raise Refused("err_done", ref=pending.ref)
        member = self.session.get(Member, pending.member_id)
        self.receipt(member, pending.amount, pending.ref)
        return self.reply(
            "ok_ok",
            amount=format_baht(pending.amount),
            name=short_name(member.name),
            number=member.number,
            ref=pending.ref,
        )

    def no(self, command: Command) -> str:
        """A collector rejects a declaration, or a member disputes a receipt."""
        transfer = self.own_transfer(command.ref)
        if transfer.phase == Phase.PENDING and transfer.collector_id == self.sender.id:
            return self.reject_declaration(transfer)
        if transfer.phase == Phase.PENDING and transfer.member_id == self.sender.id:
            resolution = resolution_of(self.session, transfer.id)
            if resolution is None:
                return self.withdraw_declaration(transfer)
            if resolution.phase == Phase.VOID:
                raise Refused("err_done", ref=transfer.ref)
        return self.dispute(transfer, command.ref)

    def withdraw_declaration(self, pending: Transfer) -> str:
        """A member takes back their own declaration still waiting; the collector is told."""
        key, note = f"withdraw:{pending.id}", "withdrawn by the member"
        outcome = void_pending(self.session, key, pending.id, self.today, note)
        if not outcome.ok:
            raise Refused("err_done", ref=pending.ref)
        collector = self.session.get(Member, pending.collector_id)
        amount = format_baht(pending.amount)
        self.tell(
            collector,
            "withdrawn",
            name=short_name(self.sender.name),
            number=self.sender.number,
            ref=pending.ref,
            amount=amount,
        )
        return self.reply("withdraw_ok", ref=pending.ref, amount=amount)

    def reject_declaration(self, pending: Transfer) -> str:
        """Void a declaration the collector did not receive; tell the member."""
        if resolution_of(self.session, pending.id) is not None:
            raise Refused("err_done", ref=pending.ref)
        outcome = void_pending(self.session, f"no:{pending.id}", pending.id, self.today)
        if not outcome.ok:
            raise Refused("err_done", ref=pending.ref)
        member = self.session.get(Member, pending.member_id)
        self.tell(member, "rejected", ref=pending.ref, amount=format_baht(pending.amount))
        return self.reply(
            "no_ok",
            ref=pending.ref,
            amount=format_baht(pending.amount),
            name=short_name(member.name),
        )

    def dispute(self, transfer: Transfer, ref: str) -> str:
        """A member says a receipt of theirs is wrong: file it, tell the treasurer now."""
        target = transfer
        if transfer.phase == Phase.PENDING:
            target = resolution_of(self.session, transfer.id) or transfer
        money_moved = target.phase in (Phase.SINGLE, Phase.POST)
        if transfer.member_id != self.sender.id or not money_moved:
            raise Refused("err_ref", ref=ref)
        # Once the committee has reversed it, a NO objects to the reversal.
        target = reversal_of(self.session, target.id) or target
        exists = self.session.scalars(
            select(Dispute.id).where(
                Dispute.transfer_id == target.id, Dispute.member_id == self.sender.id
            )
        ).first()
        if exists is None:
            self.session.add(
                Dispute(
                    group_id=self.group.id,
                    transfer_id=target.id,
                    member_id=self.sender.id,
                    inbound_id=self.inbound.id,
                    status="open",
                )
            )
            self.session.flush()
            for treasurer in self.officers(Role.TREASURER):
                self.tell(
                    treasurer,
                    "dispute_alert",
                    quiet=True,
                    name=short_name(self.sender.name),
                    number=self.sender.number,
                    ref=transfer.ref,
                    amount=format_baht(target.amount),
                )
        return self.reply("disputed", ref=transfer.ref)

    def undo(self, command: Command) -> str:
        """A collector takes back their own entry of today with a reversal."""
        self.require(Role.COLLECTOR)
        transfer = self.own_transfer(command.ref)
        target = transfer
        if transfer.phase == Phase.PENDING:
            target = resolution_of(self.session, transfer.id)
        mine = target is not None and target.collector_id == self.sender.id
        if (
            not mine
            or target.code != Code.CONTRIBUTION
            or target.phase
            not in (
                Phase.SINGLE,
                Phase.POST,
            )
        ):
            raise Refused("err_ref", ref=command.ref)
        if target.phase == Phase.POST:
            # A declaration the collector confirmed is the member's money now.
            raise Refused("err_undo_declared", ref=transfer.ref)
        if target.business_date != self.today:
            raise Refused("err_undo_day")
        if reversal_of(self.session, target.id) is not None:
            raise Refused("err_done", ref=transfer.ref)
        outcome = reverse_transfer(self.session, f"undo:{target.id}", target.id, self.today)
        if outcome.refused == Refusal.OVERDRAFT:
            raise Refused("err_undo_cash", ref=transfer.ref)
        if not outcome.ok:
            raise Refused("err_done", ref=transfer.ref)
        member = self.session.get(Member, target.member_id)
        standing = member_standing(self.session, member, self.today)
        self.tell(
            member,
            "undone",
            ref=transfer.ref,
            amount=format_baht(target.amount),
            date=format_date(standing.paid_through, member.lang),
        )
        return self.reply(
            "undo_ok",
            ref=transfer.ref,
            amount=format_baht(target.amount),
            name=short_name(member.name),
        )

    def sum(self, _command: Command) -> str:
        """A collector's day; for the treasurer and the chair, the group's day."""
        if self.sender.role in (Role.TREASURER, Role.CHAIR):
            taken = received(self.session, self.group, self.today, self.today)
            return self.reply(
                "sum_group",
                count=taken.count,
                taken=format_baht(taken.satang),
                cash=format_baht(cash_with_collectors(self.session, self.group)),
                open=open_exception_count(self.session, self.group, self.today),
            )
        self.require(Role.COLLECTOR)
        taken = received(
            self.session, self.group, self.today, self.today, collector_id=self.sender.id
        )
        waiting = waiting_declarations(self.session, self.group, self.sender.id)
        return self.reply(
            "sum",
            count=taken.count,
            amount=format_baht(taken.satang),
            cash=format_baht(self.cash_of(self.sender)),
            pending=waiting.count,
        )

    def rcv(self, command: Command) -> str:
        """The treasurer took cash from a collector: post the hand-over."""
        self.require(Role.TREASURER)
        collector = self.person(command.who)
        if collector.role != Role.COLLECTOR:
            raise Refused("err_not_collector", who=short_name(collector.name))
        amount = baht_to_satang(command.baht)
        cash = self.cash_of(collector)
        refusal = Refused(
            "err_cash",
            name=short_name(collector.name),
            cash=format_baht(cash),
            amount=format_baht(amount),
        )
        if amount > cash:
            raise refusal
        outcome = create_transfer(
            self.session,
            TransferSpec(
                key=f"sms:{self.inbound.id}",
                group_id=self.group.id,
                debit="fund_bank",
                credit=f"collector_cash:{collector.id}",
                amount=amount,
                code=Code.HANDOVER,
                business_date=self.today,
                collector_id=collector.id,
            ),
        )
        if not outcome.ok:
            raise refusal
        left = format_baht(self.cash_of(collector))
        ref = outcome.transfer.ref
        self.tell(collector, "handed_over", amount=format_baht(amount), ref=ref, cash=left)
        return self.reply(
            "rcv_ok",
            name=short_name(collector.name),
            number=collector.number,
            amount=format_baht(amount),
            ref=ref,
            cash=left,
        )

    def bal(self, command: Command) -> str:
        """A member's own balance, or a collector or treasurer asking about a member."""
        if command.who is None:
            standing = member_standing(self.session, self.sender, self.today)
            return self.reply(
                "bal_self",
                total=format_baht(standing.balance_satang),
                date=format_date(standing.paid_through, self.lang),
                state=self.state_text(standing.days_behind),
            )
        self.require(Role.COLLECTOR, Role.TREASURER, Role.CHAIR)
        member = self.person(command.who)
        standing = member_standing(self.session, member, self.today)
        return self.reply(
            "bal_other",
            name=short_name(member.name),
            number=member.number,
            total=format_baht(standing.balance_satang),
            date=format_date(standing.paid_through, self.lang),
            state=self.state_text(standing.days_behind),
        )

    def pinreset(self, command: Command) -> str:
        """The treasurer clears a member's PIN so that they can set a new one."""
        self.require(Role.TREASURER)
        member = self.person(command.who)
        member.pin_hash = None
        member.pin_tries = 0
        member.pin_locked_until = None
        self.session.flush()
        self.tell(member, "pin_was_reset")
        return self.reply("pinreset_ok", name=short_name(member.name), number=member.number)

    def help(self, _command: Command) -> str:
        """What this sender can send."""
        key = {
            Role.COLLECTOR: "help_collector",
            Role.TREASURER: "help_treasurer",
            Role.CHAIR: "help_treasurer",
        }.get(Role(self.sender.role), "help_member")
        return self.reply(key)

    def stop(self, _command: Command) -> str:
        """Opt out of reminders and summaries (never receipts)."""
        self.sender.reminders_opt_out = True
        self.session.flush()
        return self.reply("stopped")

    def start(self, _command: Command) -> str:
        """Opt back in to reminders."""
        self.sender.reminders_opt_out = False
        self.session.flush()
        return self.reply("started")

    # -- welfare ---------------------------------------------------------------------

    def committee(self) -> None:
        """Refuse unless the sender sits on the committee."""
        if self.sender.role not in COMMITTEE:
            raise Refused("err_committee_only")

    def benefit_name(self, benefit: str, lang: str | None = None) -> str:
        """A benefit's everyday name in a language (the sender's by default)."""
        return benefit_name(benefit, lang or self.lang)

    def claim(self, command: Command) -> str:
        """A committee member files a welfare claim for a member; another must approve."""
        self.committee()
        member = self.person(command.who)
        try:
            claim = file_claim(
                self.session, member, command.benefit, command.units, self.today,
                f"member:{self.sender.id}",
            )  # fmt: skip
        except ClaimRefused as refused:
            raise Refused(refused.key, **refused.values) from None
        ref = ref_for(claim.id)
        for person in self.session.scalars(
            select(Member).where(
                Member.group_id == self.group.id,
                Member.role.in_([Role.TREASURER.value, Role.CHAIR.value]),
                Member.status == Status.ACTIVE.value,
                Member.id != self.sender.id,
            )
        ):
            self.tell(person, "claim_to_decide", benefit=self.benefit_name(claim.benefit,
                      person.lang), name=short_name(member.name), number=member.number,
                      amount=format_baht(claim.amount), ref=ref)  # fmt: skip
        return self.reply(
            "claim_ok",
            benefit=self.benefit_name(claim.benefit),
            name=short_name(member.name),
            number=member.number,
            amount=format_baht(claim.amount),
            ref=ref,
        )

    def own_claim(self, ref: str) -> Claim:
        """The claim a reference names, in the sender's group, or Refused."""
        claim_id = id_for_ref(ref)
        claim = self.session.get(Claim, claim_id, with_for_update=True) if claim_id else None
        if claim is None or claim.group_id != self.group.id:
            raise Refused("err_ref", ref=ref)
        return claim

    def approve(self, command: Command) -> str:
        """A second committee member approves a claim: the fund pays it."""
        return self.decide(command, approve=True)

    def reject(self, command: Command) -> str:
        """A second committee member rejects a claim, saying why."""
        return self.decide(command, approve=False)

    def decide(self, command: Command, approve: bool) -> str:
        """Approve or reject a claim and tell the member (or beneficiary) and the filer."""
        self.committee()
        claim = self.own_claim(command.ref)
        try:
            decide_claim(self.session, claim, f"member:{self.sender.id}", approve, self.today,
                         command.reason or "")  # fmt: skip
        except ClaimRefused as refused:
            values = dict(refused.values)
            if "bank" in values:
                values["bank"] = format_baht(values["bank"])
            raise Refused(refused.key, ref=command.ref, **values) from None
        member = self.session.get(Member, claim.member_id)
        ref, amount = ref_for(claim.id), format_baht(claim.amount)
        filer_id = int(claim.filed_by.split(":")[1]) if claim.filed_by.startswith("member:") else 0
        filer = self.session.get(Member, filer_id)
        if approve:
            self.messages.append(tell_paid(self.session, claim, self.inbound.id))
            return self.reply("approve_ok", ref=ref, amount=amount, name=short_name(member.name))
        if filer is not None:
            self.tell(filer, "claim_rejected", ref=ref, reason=(command.reason or "")[:30])
        return self.reply("reject_ok", ref=ref)

    def carry_out(self, parsed: Command | ParseError) -> str:
        """Run a parsed command and return the reply; a Refused becomes its message."""
        if isinstance(parsed, ParseError):
            key, values = parse_error_message(parsed)
            return self.reply(key, **values)
        try:
            return getattr(self, parsed.verb.lower())(parsed)
        except Refused as refused:
            return self.reply(refused.key, **refused.values)


def parse_error_message(error: ParseError) -> tuple[str, dict[str, object]]:
    """The catalogue key, and its values, that explain a parse error."""
    if error.error == "unknown":
        return "err_unknown", {}
    if error.error == "amount":
        return "err_amount", {}
    if error.verb in ("OK", "NO", "UNDO") or (error.error == "ref" and error.verb == "APPROVE"):
        return "err_usage_ref", {"verb": error.verb}
    usage = {
        "PAY": "err_usage_pay",
        "RCV": "err_usage_rcv",
        "PINRESET": "err_usage_pinreset",
        "BAL": "err_usage_bal",
        "CLAIM": "err_usage_claim",
        "APPROVE": "err_usage_decide",
        "REJECT": "err_usage_decide",
    }
    return usage.get(error.verb or "", "err_unknown"), {}


def _record(session: Session, sms: InboundSms) -> tuple[InboundMessage, bool]:
    """Store the inbound message; (row, False) if this provider id came before.

    The insert skips a known id in the same statement, so that two gateway processes
    receiving one message twice cannot both act on it.
    """
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InboundMessage)
    stmt = (
        insert.values(
            provider_id=sms.provider_id,
            from_phone=sms.from_phone,
            to_code=sms.to_code,
            text=sms.text,
            received_at=sms.received_at,
            link_id=sms.link_id,
            network_code=sms.network_code,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(InboundMessage)
    )
    row = session.scalars(stmt).first()
    if row is not None:
        return row, True
    earlier = session.scalars(
        select(InboundMessage).where(InboundMessage.provider_id == sms.provider_id)
    ).one()
    return earlier, False


def _answer_stranger(
    session: Session, inbound: InboundMessage, phone: str, text: str = UNKNOWN_SENDER
) -> list[int]:
    """One polite bilingual reply a day to a number we do not know (or no longer serve)."""
    since = utcnow() - UNKNOWN_REPLY_EVERY
    recent = session.scalars(
        select(OutboundMessage.id).where(
            OutboundMessage.to_phone == phone,
            OutboundMessage.member_id.is_(None),
            OutboundMessage.created_at >= since,
        )
    ).first()
    if recent is not None:
        return []
    message = queue_sms(session, phone, text, Kind.REPLY, inbound_id=inbound.id)
    return [message.id]


def handle_inbound(
    session: Session, settings: Settings, sms: InboundSms, today: dt.date
) -> Handled:
    """Record, deduplicate and carry out one inbound SMS; flushes, never commits."""
    inbound, new = _record(session, sms)
    if not new:
        if phone_key(inbound.from_phone) != phone_key(sms.from_phone):
            # The same provider id from another number is not a repeat: tell nothing.
            log.warning("sms id reused by another sender %s", mask_phone(sms.from_phone))
            return Handled(reply="", repeated=True, conflict=True)
        return Handled(reply=inbound.reply or "", repeated=True)
    phone, sender = find_by_phone(session, sms.from_phone)
    if sender is None:
        log.info("sms %s from unknown number %s", inbound.id, mask_phone(phone))
        inbound.reply = UNKNOWN_SENDER
        return Handled(reply=UNKNOWN_SENDER, message_ids=_answer_stranger(session, inbound, phone))
    if sender.status in ENDED:
        # The membership is over, and the number may be someone else's now: no role acts.
        log.info("sms %s from %s: membership ended", inbound.id, mask_phone(phone))
        inbound.reply = MEMBERSHIP_ENDED
        return Handled(
            reply=MEMBERSHIP_ENDED,
            message_ids=_answer_stranger(session, inbound, phone, MEMBERSHIP_ENDED),
        )
    inbound.member_id = sender.id
    desk = Desk(session, settings, sender, inbound, today)
    parsed = parse(sms.text)
    reply = desk.carry_out(parsed)
    log.info(
        "sms %s from %s: %s",
        inbound.id,
        mask_phone(phone),
        parsed.verb if isinstance(parsed, Command) else f"error {parsed.error}",
    )
    inbound.reply = reply
    answer = queue_sms(
        session, sender.phone, reply, Kind.REPLY, member=sender, inbound_id=inbound.id
    )
    desk.messages.insert(0, answer)
    return Handled(reply=reply, message_ids=[m.id for m in desk.messages])
