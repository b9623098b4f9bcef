"""Filing, deciding and undoing claims, and who is told: one service for SMS, dashboard and CLI.

Every channel names the person acting as an Actor (models/actors.py) and gets back the
claim and the messages written; refusals are ClaimRefused with a catalogue key, which
each channel renders in its reader's language. The rules (who may decide, two approvals
above the schedule's amount) live in models/welfare.py and models/offices.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.flows.money import format_baht
from gateway.flows.names import fund_heading
from gateway.flows.texts import render, short_name
from models.actors import Actor
from models.authority import allowed
from models.ledger import id_for_ref, ref_for
from models.offices import POWERS, Power, holders
from models.outbox import MessageKind, OutboundMessage, queue_sms
from models.registry import Group, Member, Status
from models.welfare import (
    BenefitType,
    Claim,
    ClaimRefused,
    ClaimReversal,
    ClaimStatus,
    decide_claim,
    documents_missing,
    file_claim,
    receive_documents,
    reverse_claim,
)


def benefit_name(benefit: str, lang: str) -> str:
    """A benefit's everyday name: ค่านอนโรงพยาบาล, hospital."""
    return render(lang, f"benefit_{benefit}")


@dataclass
class Told:
    """A claim after an action, and the messages written about it (sent after commit)."""

    claim: Claim
    member: Member
    messages: list[OutboundMessage] = field(default_factory=list)
    waiting_second: bool = False  # approved once; a second decider must approve too

    @property
    def message_ids(self) -> list[int]:
        """The outbox ids to send once the transaction has committed."""
        return [m.id for m in self.messages]

    @property
    def payee_name(self) -> str:
        """The beneficiary named on the claim, else the member."""
        return self.claim.beneficiary_name or self.member.name


def _values(claim: Claim, member: Member, lang: str) -> dict[str, object]:
    return {
        "group": fund_heading(
            member.group.name, member.group.short_name, code=member.group.code, lang=lang
        ),
        "benefit": benefit_name(claim.benefit, lang),
        "amount": format_baht(claim.amount),
        "name": short_name(member.name),
        "number": member.number,
        "ref": ref_for(claim.id),
    }


def _tell(
    session: Session,
    told: Told,
    person: Member,
    key: str,
    inbound_id: int | None,
    phone: str | None = None,
    **values: object,
) -> None:
    """Write one message about the claim to a person (to another phone when given)."""
    text = render(person.lang, key, **{**_values(told.claim, told.member, person.lang), **values})
    receipts = ("welfare_paid", "welfare_paid_funeral", "claim_reversed")
    kind = MessageKind.RECEIPT if key in receipts else MessageKind.NOTICE
    message = queue_sms(
        session, phone or person.phone, text, kind, member=person, inbound_id=inbound_id
    )
    if message is not None:
        told.messages.append(message)


def _tell_payee(session: Session, told: Told, key: str, inbound_id: int | None) -> None:
    """The member, or the named beneficiary (after a death), hears about the money.

    A funeral benefit is never announced to the deceased's own phone: without a
    beneficiary's phone, the filer is told instead (claim_paid_filer).
    """
    phone = told.claim.beneficiary_phone
    if told.claim.benefit == BenefitType.FUNERAL:
        if phone is None:
            return
        if key == "welfare_paid":  # to the bereaved, with condolence (docs/THAI.md)
            key = "welfare_paid_funeral"
    _tell(session, told, told.member, key, inbound_id, phone)


def _filer(session: Session, claim: Claim) -> Member | None:
    return session.get(Member, claim.filed_by_member_id) if claim.filed_by_member_id else None


def deciders(session: Session, claim: Claim, day: dt.date) -> list[Member]:
    """Who could decide this claim today: committee offices, not the filer, not the member."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.group_id == claim.group_id,
                Member.id.in_(holders(POWERS[Power.DECIDE_CLAIM], day)),
                Member.status == Status.ACTIVE.value,
                Member.id.not_in(
                    [i for i in (claim.filed_by_member_id, claim.member_id) if i is not None]
                ),
            )
            .order_by(Member.number)
        )
    )


def file(
    session: Session,
    member: Member,
    benefit: str,
    units: int | None,
    day: dt.date,
    by: Actor,
    *,
    event: dt.date | None = None,
    beneficiary_name: str | None = None,
    beneficiary_phone: str | None = None,
    inbound_id: int | None = None,
) -> Told:
    """File a claim for a member; the committee members who may decide it are told.

    The event's date (default: the filing day) is the one eligibility is judged on; a
    funeral claim ends the membership as deceased from the date of death.
    """
    if not allowed(session, by, member.group_id, Power.FILE_CLAIM, day):
        raise ClaimRefused("claim_not_officer")
    if benefit == BenefitType.FUNERAL and not beneficiary_name:
        # The beneficiary the member named is paid and told, on every channel.
        beneficiary_name, beneficiary_phone = member.beneficiary_name, member.beneficiary_phone
    claim = file_claim(
        session,
        member,
        benefit,
        units,
        day,
        by,
        event=event,
        beneficiary_name=beneficiary_name,
        beneficiary_phone=beneficiary_phone,
    )
    told = Told(claim, member)
    for person in deciders(session, claim, day):
        _tell(session, told, person, "claim_to_decide", inbound_id)
    return told


def find_claim(session: Session, group: Group | None, ref: str, *, lock: bool = False) -> Told:
    """The claim a reference (#01K7) names, in the group when one is given; else refused."""
    claim_id = id_for_ref(ref)
    claim = session.get(Claim, claim_id, with_for_update=lock) if claim_id else None
    if claim is None or (group is not None and claim.group_id != group.id):
        raise ClaimRefused("claim_not_found", ref=ref.strip().lstrip("#").upper()[:8])
    return Told(claim, session.get(Member, claim.member_id))


def receive(
    session: Session, group: Group, ref: str, names: list[str], by: Actor, day: dt.date
) -> tuple[Told, list[str]]:
    """Mark a claim's documents received; the claim and what is still missing."""
    if not allowed(session, by, group.id, Power.FILE_CLAIM, day):
        raise ClaimRefused("claim_not_officer")
    told = find_claim(session, group, ref, lock=True)
    receive_documents(session, told.claim, names, day, by)
    return told, documents_missing(session, told.claim)


def group_of(session: Session, ref: str) -> Group:
    """The group of the claim a reference names (for a command line given no --group)."""
    told = find_claim(session, None, ref)
    return session.get(Group, told.claim.group_id)


def decide(
    session: Session,
    group: Group,
    ref: str,
    by: Actor,
    approve: bool,
    day: dt.date,
    reason: str = "",
    *,
    inbound_id: int | None = None,
) -> Told:
    """Approve or reject a filed claim; the payee, the member and the filer are told."""
    told = find_claim(session, group, ref, lock=True)
    claim = told.claim
    try:
        decide_claim(session, claim, by, approve, day, reason)
    except ClaimRefused as refused:
        refused.values.setdefault("ref", ref_for(claim.id))
        raise
    filer = _filer(session, claim)
    if claim.status == ClaimStatus.FILED:  # the first of two approvals
        told.waiting_second = True
        for person in deciders(session, claim, day):
            if person.id != by.member_id:
                _tell(session, told, person, "claim_second_needed", inbound_id)
        return told
    if claim.status == ClaimStatus.PAID:
        _tell_payee(session, told, "welfare_paid", inbound_id)
        if (
            filer is not None
            and filer.id != claim.member_id
            and (filer.id != by.member_id or claim.benefit == BenefitType.FUNERAL)
        ):
            _tell(session, told, filer, "claim_paid_filer", inbound_id)
        return told
    short = (claim.reason or "")[:30]
    if claim.benefit != BenefitType.FUNERAL:
        _tell(session, told, told.member, "claim_rejected", inbound_id, reason=short)
    elif claim.beneficiary_phone:  # never to the deceased's own phone
        _tell(
            session,
            told,
            told.member,
            "claim_rejected",
            inbound_id,
            claim.beneficiary_phone,
            reason=short,
        )
    if filer is not None and filer.id not in (by.member_id, claim.member_id):
        _tell(session, told, filer, "claim_rejected", inbound_id, reason=short)
    return told


def reverse(
    session: Session, group: Group | None, ref: str, by: Actor, reason: str, day: dt.date
) -> tuple[ClaimReversal, Told]:
    """Reverse a paid claim back into the bank and tell the payee; a second time is a no-op."""
    told = find_claim(session, group, ref, lock=True)
    if not allowed(session, by, told.claim.group_id, Power.REVERSE_CLAIM, day):
        raise ClaimRefused("claim_not_reverser")
    done = reverse_claim(session, told.claim, by, reason, day)
    if not done.already:
        _tell_payee(session, told, "claim_reversed", None)
    return done, told
