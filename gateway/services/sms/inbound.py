"""One inbound SMS: recorded once, its sender found, its command carried out, replies written.

Nothing is sent here: the caller commits, then hands the message ids to the relay.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from redis import Redis
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.edge.types import DeliveryReport, InboundSms
from gateway.flows.sms_grammar import Command, parse
from gateway.flows.texts import MEMBERSHIP_ENDED, UNKNOWN_SENDER, language_of, privacy_reply
from gateway.services.metrics import count_delivery, count_sms
from gateway.services.ratelimit import sms_flood, tell_flood
from gateway.services.sms.commands import carry_out
from gateway.services.sms.desk import Desk
from models.base import utcnow
from models.db import Database
from models.outbox import InboundMessage, MessageKind, OutboundMessage, queue_sms, record_delivery
from models.phones import InvalidPhone, mask_phone, normalize_phone, phone_key
from models.registry import ENDED, find_household
from workers.relay import hand_over

log = logging.getLogger(__name__)
UNKNOWN_REPLY_EVERY = dt.timedelta(hours=24)  # strangers are answered once a day at most


@dataclass
class Handled:
    """The reply to show the sender, and the outbox rows to send after commit."""

    reply: str
    message_ids: list[int] = field(default_factory=list)
    repeated: bool = False
    conflict: bool = False  # a known provider id from a different sender
    command: str = "none"  # the command word, for /metrics (a fixed set)
    outcome: str = "carried_out"  # an entry of metrics.SMS_OUTCOMES


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
    try:
        normalize_phone(phone)
    except InvalidPhone:  # no mobile to answer (an operator's notice, a forged sender)
        log.info("sms %s from %r: not a mobile number, no reply", inbound.id, phone[:20])
        return []
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
    message = queue_sms(session, phone, text, MessageKind.REPLY, inbound_id=inbound.id)
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
            return Handled(reply="", repeated=True, conflict=True, outcome="conflict")
        return Handled(reply=inbound.reply or "", repeated=True, outcome="repeat")
    phone, household = find_household(session, sms.from_phone)
    sender = household[0] if household else None
    if (sender is None or sender.status in ENDED) and _asks_privacy(sms.text):
        # Anyone may ask what we do with their data, a former member most of all.
        reply = privacy_reply(language_of(sms.text), settings.privacy_contact)
        inbound.reply = reply
        return Handled(
            reply=reply,
            message_ids=_answer_stranger(session, inbound, phone, reply),
            command="privacy",
        )
    if sender is None:
        log.info("sms %s from unknown number %s", inbound.id, mask_phone(phone))
        inbound.reply = UNKNOWN_SENDER
        return Handled(
            reply=UNKNOWN_SENDER,
            message_ids=_answer_stranger(session, inbound, phone),
            outcome="unknown_sender",
        )
    if sender.status in ENDED:
        # The membership is over, and the number may be someone else's now: no role acts.
        log.info("sms %s from %s: membership ended", inbound.id, mask_phone(phone))
        inbound.reply = MEMBERSHIP_ENDED
        return Handled(
            reply=MEMBERSHIP_ENDED,
            message_ids=_answer_stranger(session, inbound, phone, MEMBERSHIP_ENDED),
            outcome="membership_ended",
        )
    inbound.member_id = sender.id
    members = [m for m in household if m.status not in ENDED]
    desk = Desk(session, settings, sender, inbound, today, members)
    parsed = parse(sms.text)
    reply = carry_out(desk, parsed)
    log.info(
        "sms %s from %s: %s",
        inbound.id,
        mask_phone(phone),
        parsed.verb if isinstance(parsed, Command) else f"error {parsed.error}",
    )
    inbound.reply = reply
    answer = queue_sms(
        session, sender.phone, reply, MessageKind.REPLY, member=sender, inbound_id=inbound.id
    )
    desk.messages.insert(0, answer)
    understood = isinstance(parsed, Command)
    return Handled(
        reply=reply,
        message_ids=[m.id for m in desk.messages],
        command=(parsed.verb or "none").lower(),  # a verb the grammar knows, or none
        outcome="carried_out" if understood else "not_understood",
    )


def _asks_privacy(text: str) -> bool:
    """True when the message is the PRIVACY command."""
    parsed = parse(text)
    return isinstance(parsed, Command) and parsed.verb == "PRIVACY"


def take_inbound(
    db: Database, redis: Redis | None, settings: Settings, sms: InboundSms, today: dt.date
) -> Handled:
    """One inbound SMS end to end: the phone's limit, the desk in one transaction, the sends."""
    phone = phone_key(sms.from_phone)
    flooding, tell = sms_flood(redis, phone, settings.sms_per_minute)
    if flooding:  # nothing is recorded or posted; the sender hears once, then silence
        with db.transaction() as session:
            told = tell_flood(session, phone) if tell else []
        hand_over(redis, told)
        count_sms("none", "limited")
        return Handled(reply="", outcome="limited")
    with db.transaction() as session:
        handled = handle_inbound(session, settings, sms, today)
    count_sms(handled.command, handled.outcome)
    if not handled.conflict:
        hand_over(redis, handled.message_ids)  # committed: now they may go
    return handled


def take_delivery(db: Database, report: DeliveryReport) -> bool:
    """Record a delivery report against the message it names; False if none does."""
    with db.transaction() as session:
        found = record_delivery(
            session, report.provider_id, report.status, report.failure_reason, report.message_id
        )
    count_delivery(report.status, report.failure_reason)
    return found
