"""Deciding and undoing claims, and what people are told, whoever acts (SMS, CLI, dashboard)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.flows.money import format_baht
from gateway.flows.texts import render, short_name
from models.ledger import id_for_ref, ref_for
from models.outbox import MessageKind, OutboundMessage, queue_sms
from models.registry import Group, Member
from models.welfare import Claim, ClaimRefused, ClaimReversal, decide_claim, reverse_claim


def benefit_name(benefit: str, lang: str) -> str:
    """A benefit's everyday name: ค่านอนโรงพยาบาล, hospital."""
    return render(lang, f"benefit_{benefit}")


def _tell_payee(
    session: Session, claim: Claim, key: str, inbound_id: int | None = None
) -> OutboundMessage:
    """A message about a claim to the member, or the named beneficiary after a death."""
    member = session.get(Member, claim.member_id)
    text = render(
        member.lang,
        key,
        benefit=benefit_name(claim.benefit, member.lang),
        amount=format_baht(claim.amount),
        name=short_name(member.name),
        ref=ref_for(claim.id),
    )
    to = claim.beneficiary_phone or member.phone
    return queue_sms(session, to, text, MessageKind.RECEIPT, member=member, inbound_id=inbound_id)


def tell_paid(session: Session, claim: Claim, inbound_id: int | None = None) -> OutboundMessage:
    """Tell the member, or the named beneficiary after a death, that the fund paid."""
    return _tell_payee(session, claim, "welfare_paid", inbound_id)


def tell_reversed(session: Session, claim: Claim) -> OutboundMessage:
    """Tell whoever was told of the payment, with an apology, that it was cancelled."""
    return _tell_payee(session, claim, "claim_reversed")


@dataclass(frozen=True)
class Payee:
    """Who a claim pays, for a confirmation that says it in words."""

    claim: Claim
    member: Member

    @property
    def name(self) -> str:
        """The beneficiary named on a funeral claim, else the member."""
        return self.claim.beneficiary_name or self.member.name


def find_claim(session: Session, group: Group | None, ref: str, *, lock: bool = False) -> Payee:
    """The claim a reference (#01K7) names, in the group when one is given; else refused."""
    claim_id = id_for_ref(ref)
    claim = session.get(Claim, claim_id, with_for_update=lock) if claim_id else None
    if claim is None or (group is not None and claim.group_id != group.id):
        raise ClaimRefused("claim_not_found", ref=ref.strip().lstrip("#").upper()[:8])
    return Payee(claim, session.get(Member, claim.member_id))


def approve(
    session: Session, group: Group, ref: str, by: str, today: dt.date
) -> tuple[Claim, list[int]]:
    """Approve a filed claim: the bank pays it and the payee is told."""
    claim = find_claim(session, group, ref, lock=True).claim
    decide_claim(session, claim, f"name:{by.strip()}", True, today)
    return claim, [tell_paid(session, claim).id]


def reject(session: Session, group: Group, ref: str, by: str, reason: str, today: dt.date) -> Claim:
    """Reject a filed claim, with its reason (ClaimRefused('claim_reason') without one)."""
    claim = find_claim(session, group, ref, lock=True).claim
    return decide_claim(session, claim, f"name:{by.strip()}", False, today, reason)


def reverse_paid(
    session: Session, group: Group | None, ref: str, by: str, reason: str, today: dt.date
) -> tuple[ClaimReversal, list[int]]:
    """Reverse a paid claim back into the bank and tell the payee; a second time is a no-op."""
    claim = find_claim(session, group, ref, lock=True).claim
    done = reverse_claim(session, claim, by, reason, today)
    return done, [] if done.already else [tell_reversed(session, claim).id]
