"""What the committee sends about welfare: CLAIM, APPROVE, REJECT (via services/claims.py)."""

from __future__ import annotations

from gateway.flows.money import format_baht
from gateway.flows.sms_grammar import Command
from gateway.flows.texts import short_name
from gateway.services import claims
from gateway.services.sms.desk import Desk, Refused
from models.ledger import ref_for
from models.welfare import ClaimRefused, documents_missing

DOCUMENTS_SHOWN = 28  # characters of document names that fit one Thai SMS part beside the words


def documents_line(names: list[str]) -> str:
    """Document names joined, cut to fit one SMS part (the dashboard lists them all)."""
    line = ", ".join(names)
    return line if len(line) <= DOCUMENTS_SHOWN else line[: DOCUMENTS_SHOWN - 3] + "..."


def benefit_name(desk: Desk, benefit: str, lang: str | None = None) -> str:
    """A benefit's everyday name in a language (the sender's by default)."""
    return claims.benefit_name(benefit, lang or desk.lang)


def refused(error: ClaimRefused) -> Refused:
    """A claim refusal as the desk's refusal, amounts written as baht."""
    values = dict(error.values)
    if "documents" in values:
        values["documents"] = documents_line(values["documents"].split(", "))
    if "bank" in values:
        values["bank"] = format_baht(values["bank"])
    return Refused(error.key, **values)


def claim(desk: Desk, command: Command) -> str:
    """A committee member files a welfare claim for a member; another must approve."""
    member = desk.person(command.who)
    try:
        told = claims.file(
            desk.session,
            member,
            command.benefit,
            command.units,
            desk.today,
            desk.actor,
            event=command.event,
            inbound_id=desk.inbound.id,
        )
    except ClaimRefused as error:
        raise refused(error) from None
    desk.messages.extend(told.messages)
    if missing := documents_missing(desk.session, told.claim):
        return desk.reply(
            "claim_ok_documents",
            ref=ref_for(told.claim.id),
            amount=format_baht(told.claim.amount),
            documents=documents_line(missing),
        )
    return desk.reply(
        "claim_ok",
        benefit=benefit_name(desk, told.claim.benefit),
        name=short_name(member.name),
        number=member.number,
        amount=format_baht(told.claim.amount),
        ref=ref_for(told.claim.id),
    )


def approve(desk: Desk, command: Command) -> str:
    """A second committee member approves a claim: the fund pays it."""
    return decide(desk, command, approve=True)


def reject(desk: Desk, command: Command) -> str:
    """A second committee member rejects a claim, saying why."""
    return decide(desk, command, approve=False)


def decide(desk: Desk, command: Command, approve: bool) -> str:
    """Approve or reject a claim; the member (or beneficiary) and the filer are told."""
    try:
        told = claims.decide(
            desk.session,
            desk.group,
            command.ref,
            desk.actor,
            approve,
            desk.today,
            command.reason or "",
            inbound_id=desk.inbound.id,
        )
    except ClaimRefused as error:
        error.values.setdefault("ref", command.ref)
        raise refused(error) from None
    desk.messages.extend(told.messages)
    ref, amount = ref_for(told.claim.id), format_baht(told.claim.amount)
    if told.waiting_second:
        return desk.reply("claim_first_approval", ref=ref, amount=amount)
    if approve:
        return desk.reply("approve_ok", ref=ref, amount=amount, name=short_name(told.payee_name))
    return desk.reply("reject_ok", ref=ref)
