"""Everything Satja holds about one person, for `members export-data` (PDPA right of access).

Register fields and their history, phones, offices, beneficiary, consent, the messages sent
to them and received from them, their claims and every ledger entry naming them. Plain
values only (str, int, None, lists, dicts), so the result is JSON as it stands; money in
satang, dates ISO, times UTC. Never a PIN hash: only whether one is set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from models.actors import Actor
from models.authority import shown
from models.ledger import Account, Transfer, ref_for
from models.offices import OfficeTerm
from models.outbox import InboundMessage, OutboundMessage
from models.privacy import MemberAccess, looked_by
from models.registry import Group, Member, MemberChange
from models.welfare import Claim

REGISTER = (
    "number",
    "name",
    "phone",
    "lang",
    "joined_on",
    "born_on",
    "sex",
    "village",
    "status",
    "consent_on",
    "consent_how",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_relation",
    "reminders_opt_out",
    "anonymised_at",
)


def _plain(value: object) -> object:
    """A value as JSON holds it."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _who(session: Session, member_id: int | None, job: str | None) -> str:
    actor = Actor.person(member_id) if member_id is not None else None
    if actor is None and job:
        actor = Actor.system(job)
    return shown(session, actor)


def member_data(session: Session, member: Member) -> dict[str, Any]:
    """Everything held about this member, as plain JSON values."""
    group = session.get(Group, member.group_id)
    register = {field: _plain(getattr(member, field)) for field in REGISTER}
    register["pin_set"] = member.pin_hash is not None
    collector = session.get(Member, member.collector_id) if member.collector_id else None
    register["usual_collector"] = collector.number if collector else None
    changes = session.scalars(
        select(MemberChange).where(MemberChange.member_id == member.id).order_by(MemberChange.id)
    )
    terms = session.scalars(
        select(OfficeTerm).where(OfficeTerm.member_id == member.id).order_by(OfficeTerm.id)
    )
    return {
        "group": {"code": group.code, "name": group.name},
        "register": register,
        "phones": _phones(session, member),
        "changes": [
            {
                "at": _plain(c.at),
                "what": c.what,
                "old": c.old,
                "new": c.new,
                "by": _who(session, c.by_member_id, c.by_job),
            }
            for c in changes
        ],
        "offices": [
            {"office": t.office, "from": _plain(t.starts_on), "until": _plain(t.ends_on)}
            for t in terms
        ],
        "messages_sent": _sent(session, member),
        "messages_received": _received(session, member),
        "claims": _claims(session, member),
        "ledger": _ledger(session, member),
        "access_log": _looks(session, member),
    }


def _phones(session: Session, member: Member) -> list[dict[str, Any]]:
    """The member's phone today, then every earlier one from the register's history."""
    moves = session.scalars(
        select(MemberChange)
        .where(MemberChange.member_id == member.id, MemberChange.what == "phone")
        .order_by(MemberChange.id.desc())
    ).all()
    phones = [{"phone": member.phone, "until": None}]
    phones += [{"phone": move.old, "until": _plain(move.at)} for move in moves]
    return phones


def _sent(session: Session, member: Member) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.member_id == member.id)
        .order_by(OutboundMessage.id)
    )
    return [
        {
            "at": _plain(m.created_at),
            "to": m.to_phone,
            "kind": m.kind,
            "status": m.status,
            "text": m.text,
        }
        for m in rows
    ]


def _received(session: Session, member: Member) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.member_id == member.id)
        .order_by(InboundMessage.id)
    )
    return [
        {"at": _plain(m.created_at), "from": m.from_phone, "text": m.text, "reply": m.reply}
        for m in rows
    ]


def _claims(session: Session, member: Member) -> list[dict[str, Any]]:
    rows = session.scalars(select(Claim).where(Claim.member_id == member.id).order_by(Claim.id))
    return [
        {
            "ref": ref_for(c.id),
            "benefit": c.benefit,
            "units": c.units,
            "amount_satang": c.amount,
            "event_date": _plain(c.event_date),
            "status": c.status,
            "reason": c.reason,
            "beneficiary_name": c.beneficiary_name,
            "beneficiary_phone": c.beneficiary_phone,
            "filed_at": _plain(c.created_at),
            "decided_at": _plain(c.decided_at),
        }
        for c in rows
    ]


def _ledger(session: Session, member: Member) -> list[dict[str, Any]]:
    """Every journal entry naming the member, or touching one of their accounts."""
    debit, credit = aliased(Account), aliased(Account)
    mine = select(Account.id).where(Account.member_id == member.id)
    rows = session.execute(
        select(Transfer, debit.key, credit.key)
        .join(debit, debit.id == Transfer.debit_account_id)
        .join(credit, credit.id == Transfer.credit_account_id)
        .where(
            or_(
                Transfer.member_id == member.id,
                Transfer.debit_account_id.in_(mine),
                Transfer.credit_account_id.in_(mine),
            )
        )
        .order_by(Transfer.id)
    )
    return [
        {
            "ref": ref_for(t.id),
            "business_date": _plain(t.business_date),
            "code": t.code,
            "phase": t.phase,
            "amount_satang": t.amount,
            "debit": debit_key,
            "credit": credit_key,
            "reversal_of": ref_for(t.reversal_of) if t.reversal_of else None,
            "at": _plain(t.created_at),
        }
        for t, debit_key, credit_key in rows
    ]


def _looks(session: Session, member: Member) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(MemberAccess).where(MemberAccess.member_id == member.id).order_by(MemberAccess.id)
    )
    return [
        {
            "at": _plain(a.at),
            "channel": a.channel,
            "what": a.what,
            "by": looked_by(session, a),
        }
        for a in rows
    ]
