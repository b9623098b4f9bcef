"""What the phone simulator shows: people to pick a phone from, and a phone's inbox."""

from __future__ import annotations

from sqlalchemy import select

from gateway.flows.gsm import length, sms_parts
from models.db import Database
from models.offices import OfficeTerm
from models.outbox import OutboundMessage
from models.phones import display_phone
from models.registry import Member

PEOPLE = 12
INBOX = 30


def people(db: Database) -> list[dict[str, object]]:
    """Officials first, then a few members."""
    with db.transaction() as session:
        current = select(OfficeTerm.member_id).where(OfficeTerm.ends_on.is_(None))
        offices: dict[int, list[str]] = {}
        for member_id, office in session.execute(
            select(OfficeTerm.member_id, OfficeTerm.office)
            .where(OfficeTerm.ends_on.is_(None))
            .order_by(OfficeTerm.id)
        ):
            offices.setdefault(member_id, []).append(office)
        officials = session.scalars(
            select(Member).where(Member.id.in_(current)).order_by(Member.id).limit(PEOPLE)
        ).all()
        members = session.scalars(
            select(Member).where(Member.id.not_in(current)).order_by(Member.id).limit(PEOPLE)
        ).all()
        return [
            {
                "phone": m.phone,
                "shown": display_phone(m.phone),
                "name": m.name,
                "number": m.number,
                "role": "+".join(offices.get(m.id, ["member"])),
                "group": m.group.code,
            }
            for m in [*officials, *members]
        ]


def inbox(db: Database, phone: str) -> list[dict[str, object]]:
    """The SMS a phone has been sent, newest first, with their length on a phone."""
    with db.transaction() as session:
        rows = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id.desc())
            .limit(INBOX)
        ).all()
        return [
            {
                "text": m.text,
                "status": m.status,
                "kind": m.kind,
                "at": m.created_at.isoformat(timespec="seconds") + "Z",
                "chars": length(m.text),
                "parts": sms_parts(m.text),
            }
            for m in rows
        ]
