"""USSD bookkeeping: each answered hop once, and the provider's end-of-session notices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, utcnow


class UssdHop(Base):
    """One answered hop: a repeat of the same (session, text) gets the same screen."""

    __tablename__ = "ussd_hops"
    __table_args__ = (UniqueConstraint("session_id", "hop", name="uq_ussd_hops_session_hop"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100))
    hop: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str] = mapped_column(Text)  # every input so far, as the provider sent it
    screen: Mapped[str] = mapped_column(Text)  # the full answer, CON/END included
    pin_ok: Mapped[bool | None] = mapped_column(Boolean)  # the verdict on a PIN hop
    # A PIN first set in this session: later hops must still fold as "had no PIN".
    pin_set: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class UssdSessionEnd(Base):
    """Africa's Talking's notice that a session ended, and how."""

    __tablename__ = "ussd_session_ends"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    input: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(200))
    hops: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
