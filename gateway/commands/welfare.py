"""`welfare ...` and `funds ...`: the schedule, claims, matching money and expenses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.extensions.settings import business_day
from gateway.flows.money import format_baht, parse_baht
from gateway.flows.sms_grammar import THAI_DIGITS
from gateway.flows.texts import render
from gateway.services import claims
from gateway.services.claims import benefit_name
from models.actors import Actor
from models.authority import allowed, named
from models.funds import ADMIN_SHARE_LIMIT, Source, add_expense, add_funds, admin_share
from models.ledger import ref_for
from models.offices import Power
from models.registry import Group, RegistryError, find_group, find_member
from models.welfare import (
    BenefitType,
    Claim,
    ClaimRefused,
    ClaimStatus,
    ScheduleError,
    current_schedule,
    documents_missing,
    parse_schedule,
    store_schedule,
)
from workers.outbox import enqueue_sends

welfare = AppGroup("welfare", help="Benefit schedules and claims.")
schedule = AppGroup("schedule", help="A group's benefit schedule.")
funds = AppGroup("funds", help="Matching money in, administrative expenses out.")
welfare.add_command(schedule)
DAY = click.DateTime(["%Y-%m-%d"])


def _refusal(refused: ClaimRefused) -> click.ClickException:
    values = dict(refused.values)
    if "bank" in values:
        values["bank"] = format_baht(values["bank"])
    return click.ClickException(render("en", refused.key, **{"ref": "", **values}))


@schedule.command("show")
@click.option("--group", "code", required=True)
def show_schedule(code: str) -> None:
    """The group's current benefits."""
    try:
        with current_db().transaction() as session:
            stored = current_schedule(session, find_group(session, code))
            version, current = stored.version, stored.schedule()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"version {version}; at most {current.max_days_behind} days behind to claim")
    for b in current.benefits.values():
        tiers = ", ".join(f"{amount} after {years} y" for years, amount in b.tiers)
        ages = f" age {b.min_age or 0}-{b.max_age or '∞'}" if b.min_age or b.max_age else ""
        click.echo(
            f"  {b.type:<11}{b.amount:>7,} baht/{b.unit:<6} {b.per_claim}/claim "
            f"{b.per_year}/year{ages}{'; ' + tiers if tiers else ''}"
        )


@schedule.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", "code", required=True)
def load_schedule(file: Path, code: str) -> None:
    """Load a schedule file as the group's new version (past claims keep theirs)."""
    try:
        parsed = parse_schedule(file.read_text("utf-8"))
        with current_db().transaction() as session:
            store_schedule(session, find_group(session, code), parsed)
    except (ScheduleError, RegistryError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{code.upper()}: schedule {parsed.version} loaded, {len(parsed.benefits)} benefits")


@welfare.command("claim")
@click.option("--group", "code", required=True)
@click.option("--member", "number", required=True, help="Member number.")
@click.option("--type", "benefit", required=True, type=click.Choice([b.value for b in BenefitType]))
@click.option("--units", type=click.IntRange(1, 366), help="Nights or months (nights: required).")
@click.option(
    "--date", "day", type=DAY, help="Date of the event: birth, admission, death (default today)."
)
@click.option("--by", required=True, help="Who files it: an officer's member number or login.")
@click.option("--beneficiary-name", help="Who receives a funeral benefit.")
@click.option("--beneficiary-phone", help="Where to tell them.")
def claim_command(
    code: str,
    number: str,
    benefit: str,
    units: int | None,
    day: dt.datetime | None,
    by: str,
    beneficiary_name: str | None,
    beneficiary_phone: str | None,
) -> None:
    """File a claim; it is paid once another committee member approves it.

    Eligibility is judged on the event's date; a funeral claim needs the date of death
    (unless the register has it) and ends the membership as deceased.
    """
    from models.phones import InvalidPhone, normalize_phone

    try:
        phone = normalize_phone(beneficiary_phone) if beneficiary_phone else None
        with current_db().transaction() as session:
            group = find_group(session, code)
            member = find_member(session, group, number)
            told = claims.file(
                session,
                member,
                benefit,
                units,
                business_day(),
                named(session, group.id, by),
                event=day.date() if day else None,
                beneficiary_name=beneficiary_name,
                beneficiary_phone=phone,
            )
            ref, amount, message_ids = ref_for(told.claim.id), told.claim.amount, told.message_ids
            missing = documents_missing(session, told.claim)
    except (RegistryError, InvalidPhone) as exc:
        raise click.ClickException(str(exc)) from None
    except ClaimRefused as refused:
        raise _refusal(refused) from None
    enqueue_sends(current_redis(), message_ids)
    click.echo(f"claim #{ref}: {benefit} for member {number}, {format_baht(amount)} baht")
    if missing:
        click.echo(f"documents to receive before approval: {', '.join(missing)}")


@welfare.command("documents")
@click.argument("ref")
@click.option("--group", "code", required=True)
@click.option("--received", "names", multiple=True, help="A document now in hand (repeatable).")
@click.option("--by", required=True, help="An officer's member number or login.")
def documents_command(ref: str, code: str, names: tuple[str, ...], by: str) -> None:
    """Mark a claim's documents received, and say which are still missing."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            actor = named(session, group.id, by)
            _, missing = claims.receive(session, group, ref, list(names), actor, business_day())
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    except ClaimRefused as refused:
        raise _refusal(refused) from None
    click.echo(f"missing: {', '.join(missing)}" if missing else "all documents received")


def _decide(ref: str, code: str, by: str, approve: bool, reason: str = "") -> None:
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            actor = named(session, group.id, by)
            told = claims.decide(session, group, ref, actor, approve, business_day(), reason)
            claim, message_ids = told.claim, told.message_ids
            state = (
                "approved once; a second committee member must approve"
                if (told.waiting_second)
                else claim.status
            )
            done = f"claim #{ref_for(claim.id)}: {state}, {format_baht(claim.amount)} baht"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    except ClaimRefused as refused:
        raise _refusal(refused) from None
    enqueue_sends(current_redis(), message_ids)
    click.echo(done)


@welfare.command("approve")
@click.argument("ref")
@click.option("--group", "code", required=True)
@click.option("--by", required=True, help="A committee member's number or login (not the filer).")
def approve_command(ref: str, code: str, by: str) -> None:
    """Approve a claim: the fund pays it and the member is told by SMS."""
    _decide(ref, code, by, approve=True)


@welfare.command("reject")
@click.argument("ref")
@click.option("--group", "code", required=True)
@click.option("--by", required=True, help="A committee member's number or login (not the filer).")
@click.option("--reason", required=True)
def reject_command(ref: str, code: str, by: str, reason: str) -> None:
    """Reject a claim, saying why."""
    _decide(ref, code, by, approve=False, reason=reason)


@welfare.command("reverse")
@click.argument("ref")
@click.option("--group", "code", help="The group the claim is in (checked when given).")
@click.option("--reason", required=True, help="Why the payment was a mistake (kept for good).")
@click.option("--by", required=True, help="The chair's or treasurer's member number or login.")
def reverse_command(ref: str, code: str | None, reason: str, by: str) -> None:
    """Reverse a paid claim: the money goes back to the bank and the payee is told."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, code) if code else claims.group_of(session, ref)
            actor = named(session, group.id, by)
            done, told = claims.reverse(session, group, ref, actor, reason, business_day())
            message_ids = told.message_ids
            claim_ref, amount = ref_for(done.claim.id), format_baht(done.claim.amount)
            reversal_ref = ref_for(done.transfer.id)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    except ClaimRefused as refused:
        raise _refusal(refused) from None
    if done.already:
        click.echo(f"claim #{claim_ref} was reversed already (#{reversal_ref}); nothing changed")
        return
    enqueue_sends(current_redis(), message_ids)
    click.echo(
        f"claim #{claim_ref}: reversed, {amount} baht back to the bank as #{reversal_ref}; "
        "payee told"
    )


@welfare.command("claims")
@click.option("--group", "code", required=True)
@click.option("--status", type=click.Choice([s.value for s in ClaimStatus]))
@click.option("--json", "as_json", is_flag=True)
def claims_command(code: str, status: str | None, as_json: bool) -> None:
    """The group's claims, newest first (the approval queue with --status filed)."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            query = select(Claim).where(Claim.group_id == group.id).order_by(Claim.id.desc())
            if status:
                query = query.where(Claim.status == status)
            rows = [
                {
                    "ref": ref_for(c.id),
                    "member_id": c.member_id,
                    "benefit": c.benefit,
                    "units": c.units,
                    "amount_satang": c.amount,
                    "status": c.status,
                    "event_date": c.event_date.isoformat(),
                    "filed_on": c.filed_on.isoformat() if c.filed_on else None,
                    "documents_missing": documents_missing(session, c),
                    "filed_by": str(c.filer) if c.filer else c.filed_by,
                    "decided_by": str(c.decider) if c.decider else c.decided_by,
                    "reason": c.reason,
                }
                for c in session.scalars(query)
            ]
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"#{r['ref']:<8} {r['event_date']} {benefit_name(r['benefit'], 'en'):<11}"
            f"{format_baht(r['amount_satang']):>10} baht  {r['status']}"
        )


def _funds_key(kind: str, code: str, day: dt.date, amount: int, ref: str | None) -> str:
    # The same receipt typed twice must not count twice; a second real one needs --ref.
    return f"{kind}:{code}:{day}:{amount}:{ref or 1}"[:64]


@funds.command("add")
@click.option("--group", "code", required=True)
@click.option("--source", type=click.Choice([s.value for s in Source]), required=True)
@click.option("--amount", required=True, help="Baht, e.g. 10000 or 10,000.50 (Thai digits too).")
@click.option("--date", "day", required=True, help="YYYY-MM-DD, not in the future.")
@click.option("--ref", help="Tells apart two receipts of the same amount on the same day.")
@click.option("--by", required=True, help="The treasurer's or chair's member number or login.")
def funds_add(code: str, source: str, amount: str, day: str, ref: str | None, by: str) -> None:
    """Money received into the fund's bank from a source."""
    satang, on = _satang(amount), _past_day(day)
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            key = _funds_key(f"funds:{source}", group.code, on, satang, ref)
            actor = _banker(session, group, by)
            outcome = add_funds(session, group, Source(source), satang, on, key, by=actor)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    seen = ""
    if outcome.replayed:
        seen = (
            " (already recorded; nothing changed. A second receipt of the same amount"
            " on the same day: add --ref with its receipt number)"
        )
    click.echo(f"{group.code}: {format_baht(satang)} baht from {source} on {on}{seen}")


@funds.command("expense")
@click.option("--group", "code", required=True)
@click.option("--amount", required=True, help="Baht (Thai digits too).")
@click.option("--date", "day", required=True, help="YYYY-MM-DD, not in the future.")
@click.option("--note", required=True, help="What it paid for.")
@click.option("--ref", help="Tells apart two expenses of the same amount on the same day.")
@click.option("--by", required=True, help="The treasurer's or chair's member number or login.")
def funds_expense(code: str, amount: str, day: str, note: str, ref: str | None, by: str) -> None:
    """An administrative expense paid from the bank; warns past a fifth of the fund."""
    satang, on = _satang(amount), _past_day(day)
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            key = _funds_key("expense", group.code, on, satang, ref)
            actor = _banker(session, group, by)
            outcome = add_expense(session, group, satang, on, key, note, by=actor)
            if not outcome.ok:
                raise click.ClickException("the bank does not hold that much")
            spent, received = admin_share(session, group)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{group.code}: expense {format_baht(satang)} baht ({note})")
    if received and spent > ADMIN_SHARE_LIMIT * received:
        click.echo(
            f"WARNING: administration is {spent / received:.0%} of the fund "
            f"({format_baht(spent)} of {format_baht(received)} baht); the limit is 20%",
            err=True,
        )


def _banker(session: Session, group: Group, by: str) -> Actor:
    """The treasurer or chair `--by` names, or RegistryError."""
    actor = named(session, group.id, by)
    if not allowed(session, actor, group.id, Power.BANK, business_day()):
        raise RegistryError(f"--by {by}: only the treasurer or the chair records bank money")
    return actor


def _past_day(text: str) -> dt.date:
    """A YYYY-MM-DD date (Thai digits welcome) that is not after today."""
    try:
        day = dt.date.fromisoformat(text.strip().translate(THAI_DIGITS))
    except ValueError:
        message = f"{text!r} is not a date like 2026-11-16"
        raise click.BadParameter(message, param_hint="--date") from None
    if day > business_day():
        raise click.BadParameter(f"{day} is in the future", param_hint="--date")
    return day


def _satang(amount: str) -> int:
    satang = parse_baht(amount.translate(THAI_DIGITS))
    if not satang:
        raise click.BadParameter("a positive amount of baht, e.g. 10000", param_hint="--amount")
    return satang


def init_app(app: Flask) -> None:
    """Register the welfare and funds commands."""
    app.cli.add_command(welfare)
    app.cli.add_command(funds)
