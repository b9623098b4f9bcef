"""Disputes: a member says a receipt is wrong; reconciliation takes it from here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, utcnow


class Dispute(Base):
    """One member's dispute of one transfer."""

    __tablename__ = "disputes"
    __table_args__ = (UniqueConstraint("transfer_id", "member_id", name="uq_disputes_transfer"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
