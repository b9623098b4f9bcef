"""SMS in and out: inbound messages kept for deduplication, outbound through an outbox.

An outbound row is written in the same transaction as the work it reports; only after
that commits is a job enqueued to send it, so no receipt ever goes out for work that
rolled back. The sweeper finds rows whose job was lost and sends them again.
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Insert,
    Integer,
    String,
    Text,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, one_of, utcnow
from models.registry import Member


class MessageKind(enum.StrEnum):
    """Why a message is sent; reminders and summaries keep quiet hours."""

    REPLY = "reply"
    RECEIPT = "receipt"
    NOTICE = "notice"
    REMINDER = "reminder"
    SUMMARY = "summary"


QUIET_KINDS = (MessageKind.REMINDER, MessageKind.SUMMARY)


class Status(enum.StrEnum):
    """Where an outbound message is."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SUBMITTED = "submitted"
    BUFFERED = "buffered"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    FAILED = "failed"


# Africa's Talking delivery-report statuses, and what they mean here. Anything else is
# refused at the edge.
PROVIDER_STATUS = {
    "Sent": Status.SENT,
    "Submitted": Status.SUBMITTED,
    "Buffered": Status.BUFFERED,
    "Success": Status.DELIVERED,
    "Rejected": Status.REJECTED,
    "Failed": Status.FAILED,
}

# Kannel's delivery-report types (its %d), and what they mean here.
KANNEL_STATUS = {
    1: Status.DELIVERED,  # delivered to the phone
    2: Status.FAILED,  # the phone could not be reached, finally
    4: Status.BUFFERED,  # the SMSC keeps it for a phone that is off
    8: Status.SUBMITTED,  # the SMSC took it
    16: Status.REJECTED,  # the SMSC refused it
}


class InboundMessage(Base):
    """An SMS a person sent us, with the reply it got (a repeat gets the same)."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(100), unique=True)
    from_phone: Mapped[str] = mapped_column(String(20))
    to_code: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    link_id: Mapped[str | None] = mapped_column(String(100))
    network_code: Mapped[str | None] = mapped_column(String(10))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OutboundMessage(Base):
    """An SMS to send; its status follows the provider's delivery reports."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        CheckConstraint(one_of("kind", MessageKind), name="kind_known"),
        CheckConstraint(one_of("status", Status), name="status_known"),
        Index("ix_outbound_messages_status_created", "status", "created_at"),
        Index("uq_outbound_messages_key", "key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # Scheduled messages carry a key (reminder:<month>:<member>) so a rerun sends none twice.
    key: Mapped[str | None] = mapped_column(String(80))
    to_phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=Status.QUEUED.value)
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


def quiet_hours_start(now: dt.datetime, timezone: str = "Asia/Bangkok") -> dt.datetime | None:
    """When a reminder written now may go (UTC, naive), or None if it may go at once."""
    zone = ZoneInfo(timezone)
    local = now.replace(tzinfo=dt.UTC).astimezone(zone)
    if 8 <= local.hour < 20:
        return None
    day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
    opening = dt.datetime.combine(day, dt.time(8), tzinfo=zone)
    return opening.astimezone(dt.UTC).replace(tzinfo=None)


def _fields(
    to_phone: str,
    text: str,
    kind: MessageKind,
    member: Member | None,
    group_id: int | None,
    now: dt.datetime | None,
) -> dict[str, object] | None:
    """An outbound row's columns; None when the member opted out of this kind."""
    if kind == MessageKind.REMINDER and member is not None and member.reminders_opt_out:
        return None
    now = now or utcnow()
    return {
        "group_id": group_id if group_id is not None else (member.group_id if member else None),
        "member_id": member.id if member else None,
        "to_phone": to_phone,
        "text": text,
        "kind": kind.value,
        "status": Status.QUEUED.value,
        "attempts": 0,
        "not_before": quiet_hours_start(now) if kind in QUIET_KINDS else None,
        "created_at": now,
        "updated_at": now,
    }


def queue_sms(
    session: Session,
    to_phone: str,
    text: str,
    kind: MessageKind,
    *,
    member: Member | None = None,
    group_id: int | None = None,
    inbound_id: int | None = None,
    now: dt.datetime | None = None,
    flush: bool = True,
) -> OutboundMessage | None:
    """Write an outbound message (not sent); None if the member opted out.

    With flush=False the caller flushes several at once (one INSERT) before reading ids.
    """
    fields = _fields(to_phone, text, kind, member, group_id, now)
    if fields is None:
        return None
    message = OutboundMessage(inbound_id=inbound_id, **fields)
    session.add(message)
    if flush:
        session.flush()
    return message


def sms_row(
    to_phone: str,
    text: str,
    kind: MessageKind,
    *,
    group_id: int,
    member_id: int | None,
    now: dt.datetime | None = None,
) -> dict[str, object]:
    """An outbound row's columns for write_sms (a hot path's queue_sms, reminders aside)."""
    if kind == MessageKind.REMINDER:
        raise ValueError("a reminder heeds the member's opt-out: use queue_sms")
    fields = _fields(to_phone, text, kind, None, group_id, now)
    assert fields is not None  # only reminders are ever left out
    fields["member_id"] = member_id
    return fields


def write_sms(session: Session, row: dict[str, object]) -> int:
    """Write a sms_row in one INSERT ... RETURNING id, without the unit of work; its id."""
    return session.execute(_insert_returning_id(), row).scalar_one()


@cache
def _insert_returning_id() -> Insert:
    # Built once, values bound at execution: its cache key is computed once per process.
    table = OutboundMessage.__table__
    return insert(table).returning(table.c.id)


def queue_once(
    session: Session,
    key: str,
    to_phone: str,
    text: str,
    kind: MessageKind,
    *,
    member: Member | None = None,
    group_id: int | None = None,
    now: dt.datetime | None = None,
) -> int | None:
    """Write a keyed outbound message unless one with that key exists; its id if written."""
    fields = _fields(to_phone, text, kind, member, group_id, now)
    if fields is None:
        return None
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(OutboundMessage)
        .values(key=key, **fields)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboundMessage.id)
    )
    return session.scalars(statement).first()


def find_inbound(session: Session, provider_id: str) -> InboundMessage | None:
    """The inbound message with this provider id, if it came before."""
    return session.scalars(
        select(InboundMessage).where(InboundMessage.provider_id == provider_id)
    ).first()


FINAL = {Status.DELIVERED, Status.REJECTED, Status.FAILED}


def record_delivery(
    session: Session,
    provider_id: str | None,
    status: Status,
    failure_reason: str | None,
    message_id: int | None = None,
) -> bool:
    """Apply a delivery report; a late non-final report never undoes a final one.

    Africa's Talking names the message by its own id; Kannel by ours (message_id), with
    the SMSC's id, kept the first time it is told, to trace a message with the operator.
    """
    if message_id is not None:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is not None and provider_id and not message.provider_id:
            message.provider_id = provider_id
    else:
        message = session.scalars(
            select(OutboundMessage).where(OutboundMessage.provider_id == provider_id)
        ).first()
    if message is None:
        return False
    if Status(message.status) in FINAL and status not in FINAL:
        return True
    message.status = status.value
    if failure_reason:
        message.failure_reason = failure_reason[:200]
    return True
