"""The offices members hold (collector, treasurer, chair, …), their history, and their powers.

One member may hold several offices at once; offices change at the yearly meeting, so a
term has a first day and, once ended, a day it stopped (the term covers days before it).
`POWERS` is the one table of who may do what: SMS commands, dashboard actions and the
command line all ask `may`, and tests/test_offices.py walks it office by office.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from models.actors import Actor, Authored, actor_check
from models.base import Base, BigId, GroupVisible, collectors_generation, one_of, utcnow


class Office(enum.StrEnum):
    """An office of a fund (ตำแหน่ง)."""

    COLLECTOR = "collector"  # ผู้เก็บเงิน
    TREASURER = "treasurer"  # เหรัญญิก
    CHAIR = "chair"  # ประธาน
    SECRETARY = "secretary"  # เลขานุการ
    AUDITOR = "auditor"  # ผู้ตรวจสอบ
    COMMITTEE = "committee"  # กรรมการ


class Power(enum.StrEnum):
    """Something only some offices may do."""

    TAKE_CASH = "take_cash"  # PAY, OK, UNDO: cash taken from members
    DAY_SUMMARY = "day_summary"  # SUM: the day's collections
    HAND_OVER = "hand_over"  # RCV: a collector's cash handed to the fund
    BANK = "bank"  # matching money in, expenses out (`funds add|expense`)
    RESET_PIN = "reset_pin"  # PINRESET for a member who forgot
    FILE_CLAIM = "file_claim"  # a welfare claim on a member's behalf
    DECIDE_CLAIM = "decide_claim"  # approve or reject a claim
    REVERSE_CLAIM = "reverse_claim"  # undo a payout made by mistake
    SETTLE = "settle"  # settle a reconciliation exception, restore a receipt
    EDIT_REGISTER = "edit_register"  # members' details, offices, status
    SEE_BOOKS = "see_books"  # the dashboard and reports


# The committee (คณะกรรมการ) decides; a collector decides only when also on it.
COMMITTEE = frozenset({Office.CHAIR, Office.TREASURER, Office.SECRETARY, Office.COMMITTEE})
EVERY_OFFICE = frozenset(Office)

POWERS: dict[Power, frozenset[Office]] = {
    Power.TAKE_CASH: frozenset({Office.COLLECTOR}),
    Power.DAY_SUMMARY: frozenset({Office.COLLECTOR, Office.TREASURER, Office.CHAIR}),
    Power.HAND_OVER: frozenset({Office.TREASURER}),
    Power.BANK: frozenset({Office.TREASURER, Office.CHAIR}),
    Power.RESET_PIN: frozenset({Office.TREASURER, Office.CHAIR, Office.SECRETARY}),
    Power.FILE_CLAIM: EVERY_OFFICE - {Office.AUDITOR},
    Power.DECIDE_CLAIM: COMMITTEE,
    Power.REVERSE_CLAIM: frozenset({Office.CHAIR, Office.TREASURER}),
    Power.SETTLE: COMMITTEE,
    Power.EDIT_REGISTER: frozenset({Office.CHAIR, Office.SECRETARY, Office.TREASURER}),
    Power.SEE_BOOKS: EVERY_OFFICE,
}


def may(offices: frozenset[Office] | set[Office], power: Power) -> bool:
    """True when one of these offices carries the power."""
    return bool(POWERS[power] & set(offices))


class OfficeTerm(GroupVisible, Authored, Base):
    """One member in one office from a day, until the day it ended (None: still held)."""

    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint(one_of("office", Office), name="office_known"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        actor_check("by"),
        actor_check("ended_by", optional=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    office: Mapped[str] = mapped_column(String(12))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    ended_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    ended_by_job: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def generations(self) -> tuple[str, ...]:
        """Offices decide the group's collector list (the only office a member's menu shows)."""
        return (collectors_generation(self.group_id),)


def held_on(day: dt.date) -> ColumnElement[bool]:
    """SQL: the term covers this day."""
    return (OfficeTerm.starts_on <= day) & or_(
        OfficeTerm.ends_on.is_(None), OfficeTerm.ends_on > day
    )


def holders(offices: frozenset[Office] | set[Office], day: dt.date):  # noqa: ANN201 (a subquery)
    """SQL: the ids of members holding one of these offices on this day."""
    return select(OfficeTerm.member_id).where(
        OfficeTerm.office.in_([o.value for o in offices]), held_on(day)
    )


def offices_of(session: Session, member_id: int, day: dt.date) -> frozenset[Office]:
    """The offices this member holds on this day."""
    rows = session.scalars(
        select(OfficeTerm.office).where(OfficeTerm.member_id == member_id, held_on(day))
    )
    return frozenset(Office(o) for o in rows)


def open_term(session: Session, member_id: int, office: Office) -> OfficeTerm | None:
    """The member's term in this office that has not ended, if any."""
    return session.scalars(
        select(OfficeTerm).where(
            OfficeTerm.member_id == member_id,
            OfficeTerm.office == office.value,
            OfficeTerm.ends_on.is_(None),
        )
    ).first()


def start_term(
    session: Session, group_id: int, member_id: int, office: Office, starts_on: dt.date, by: Actor
) -> OfficeTerm:
    """Record a member taking up an office (the caller has checked they may)."""
    term = OfficeTerm(
        group_id=group_id,
        member_id=member_id,
        office=office.value,
        starts_on=starts_on,
        **by.columns(),
    )
    session.add(term)
    session.flush()
    return term


def end_term(term: OfficeTerm, ends_on: dt.date, by: Actor) -> None:
    """Record the day a term stopped; the history stays."""
    term.ends_on = ends_on
    term.ended_by_member_id, term.ended_by_job = by.columns("ended_by").values()
