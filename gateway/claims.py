"""What people are told about a claim, whichever way it was decided (SMS or command line)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.flows.money import format_baht
from gateway.flows.texts import render, short_name
from models.ledger import ref_for
from models.outbox import Kind, OutboundMessage, queue_sms
from models.registry import Member
from models.welfare import Claim


def benefit_name(benefit: str, lang: str) -> str:
    """A benefit's everyday name: ค่านอนโรงพยาบาล, hospital."""
    return render(lang, f"benefit_{benefit}")


def tell_paid(session: Session, claim: Claim, inbound_id: int | None = None) -> OutboundMessage:
    """Tell the member, or the named beneficiary after a death, that the fund paid."""
    member = session.get(Member, claim.member_id)
    text = render(
        member.lang,
        "welfare_paid",
        benefit=benefit_name(claim.benefit, member.lang),
        amount=format_baht(claim.amount),
        name=short_name(member.name),
        ref=ref_for(claim.id),
    )
    to = claim.beneficiary_phone or member.phone
    return queue_sms(session, to, text, Kind.RECEIPT, member=member, inbound_id=inbound_id)
