"""What the committee sends about welfare: CLAIM, APPROVE, REJECT."""

from __future__ import annotations

from sqlalchemy import select

from gateway.flows.money import format_baht
from gateway.flows.sms_grammar import Command
from gateway.flows.texts import short_name
from gateway.services.claims import benefit_name as catalogue_benefit_name
from gateway.services.claims import tell_paid
from gateway.services.sms.desk import Desk, Refused
from models.ledger import (
    id_for_ref,
    ref_for,
)
from models.registry import Member, Role, Status
from models.welfare import Claim, ClaimRefused, decide_claim, file_claim


def benefit_name(desk: Desk, benefit: str, lang: str | None = None) -> str:
    """A benefit's everyday name in a language (the sender's by default)."""
    return catalogue_benefit_name(benefit, lang or desk.lang)


def claim(desk: Desk, command: Command) -> str:
    """A committee member files a welfare claim for a member; another must approve."""
    member = desk.person(command.who)
    try:
        claim = file_claim(
            desk.session,
            member,
            command.benefit,
            command.units,
            desk.today,
            f"member:{desk.sender.id}",
        )
    except ClaimRefused as refused:
        raise Refused(refused.key, **refused.values) from None
    ref = ref_for(claim.id)
    for person in desk.session.scalars(
        select(Member).where(
            Member.group_id == desk.group.id,
            Member.role.in_([Role.TREASURER.value, Role.CHAIR.value]),
            Member.status == Status.ACTIVE.value,
            Member.id != desk.sender.id,
        )
    ):
        desk.tell(
            person,
            "claim_to_decide",
            benefit=benefit_name(desk, claim.benefit, person.lang),
            name=short_name(member.name),
            number=member.number,
            amount=format_baht(claim.amount),
            ref=ref,
        )
    return desk.reply(
        "claim_ok",
        benefit=benefit_name(desk, claim.benefit),
        name=short_name(member.name),
        number=member.number,
        amount=format_baht(claim.amount),
        ref=ref,
    )


def own_claim(desk: Desk, ref: str) -> Claim:
    """The claim a reference names, in the sender's group, or Refused."""
    claim_id = id_for_ref(ref)
    claim = desk.session.get(Claim, claim_id, with_for_update=True) if claim_id else None
    if claim is None or claim.group_id != desk.group.id:
        raise Refused("err_ref", ref=ref)
    return claim


def approve(desk: Desk, command: Command) -> str:
    """A second committee member approves a claim: the fund pays it."""
    return decide(desk, command, approve=True)


def reject(desk: Desk, command: Command) -> str:
    """A second committee member rejects a claim, saying why."""
    return decide(desk, command, approve=False)


def decide(desk: Desk, command: Command, approve: bool) -> str:
    """Approve or reject a claim and tell the member (or beneficiary) and the filer."""
    claim = own_claim(desk, command.ref)
    try:
        decide_claim(
            desk.session,
            claim,
            f"member:{desk.sender.id}",
            approve,
            desk.today,
            command.reason or "",
        )
    except ClaimRefused as refused:
        values = dict(refused.values)
        if "bank" in values:
            values["bank"] = format_baht(values["bank"])
        raise Refused(refused.key, ref=command.ref, **values) from None
    member = desk.session.get(Member, claim.member_id)
    ref, amount = ref_for(claim.id), format_baht(claim.amount)
    filer_id = int(claim.filed_by.split(":")[1]) if claim.filed_by.startswith("member:") else 0
    filer = desk.session.get(Member, filer_id)
    if approve:
        desk.messages.append(tell_paid(desk.session, claim, desk.inbound.id))
        return desk.reply("approve_ok", ref=ref, amount=amount, name=short_name(member.name))
    if filer is not None:
        desk.tell(filer, "claim_rejected", ref=ref, reason=(command.reason or "")[:30])
    return desk.reply("reject_ok", ref=ref)
