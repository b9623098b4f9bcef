"""`groups add`, `members add|import|status|office`: setting up a fund and keeping its register."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from gateway.commands.importer import ImportRejected, import_members, validate_csv
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.extensions.settings import business_day
from gateway.flows.money import baht_to_satang, format_baht
from gateway.flows.names import fund_heading
from gateway.flows.texts import render
from models.actors import Actor
from models.authority import allowed, named
from models.entrance import charge_entrance_fee
from models.ledger import Transfer, ref_for
from models.offices import Office, Power, offices_of
from models.outbox import MessageKind, queue_sms
from models.phones import display_phone
from models.registry import (
    ENDED,
    LANGUAGES,
    SETUP,
    Group,
    Member,
    RegistryError,
    Status,
    add_group,
    add_member,
    check_office,
    check_sex,
    edit_member,
    find_collector,
    find_group,
    find_member,
    give_office,
    move_phone,
    office_holders,
    record_consent,
    set_beneficiary,
    set_status,
    take_office,
)
from workers.outbox import enqueue_sends

groups = AppGroup("groups", help="Welfare fund groups.")
members = AppGroup("members", help="People in a group.")


@groups.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The fund's name, e.g. กองทุนสวัสดิการชุมชนตำบลน้ำขาว.")
@click.option(
    "--short-name",
    help="At most 20 characters that head its reminders and notices, e.g. กองทุนฯ บ้านน้ำขาว.",
)
@click.option(
    "--daily-rate",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Baht a member gives per day.",
)
@click.option(
    "--meeting-day",
    type=click.IntRange(1, 28),
    default=16,
    show_default=True,
    help="Day of the month the committee meets.",
)
def add_group_command(
    code: str, name: str, short_name: str | None, daily_rate: int, meeting_day: int
) -> None:
    """Create a group with the default rules (waiting 180 days, lapse after 90)."""
    try:
        with current_db().transaction() as session:
            group = add_group(
                session,
                code,
                name,
                daily_rate_satang=baht_to_satang(daily_rate),
                meeting_day=meeting_day,
                short_name=short_name,
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"group {group.code} created")


@members.command("add")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Any Thai spelling: 081-234-5678, +66 81 234 5678.")
@click.option(
    "--office",
    "offices",
    multiple=True,
    type=click.Choice([o.value for o in Office]),
    help="An office held from joining (repeat for several); none for a plain member.",
)
@click.option("--by", help="Who registers them: a member number or login (a new fund: none).")
@click.option(
    "--joined", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (default: today)."
)
@click.option("--lang", type=click.Choice(LANGUAGES), default="th", show_default=True)
@click.option(
    "--born", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (for age rules)."
)
@click.option("--sex", help="f or m (หญิง or ชาย).")
@click.option("--village", help="Their หมู่ or village, e.g. หมู่ 3.")
@click.option("--collector", help="The member number of the collector they usually pay.")
@click.option("--beneficiary-name", help="Who receives a funeral benefit (ผู้รับผลประโยชน์).")
@click.option("--beneficiary-phone", help="The beneficiary's phone.")
@click.option("--beneficiary-relation", help="How they are related, e.g. ลูก, สามี.")
@click.option(
    "--consent",
    "consent_how",
    help="How they agreed to the fund keeping their data: paper, spoken or sms (PDPA).",
)
@click.option(
    "--consent-on", type=click.DateTime(["%Y-%m-%d"]), help="The day they agreed (default: joined)."
)
def add_member_command(
    group_code: str,
    name: str,
    phone: str,
    offices: tuple[str, ...],
    by: str | None,
    joined: dt.datetime | None,
    lang: str,
    born: dt.datetime | None,
    sex: str | None,
    village: str | None,
    collector: str | None,
    beneficiary_name: str | None,
    beneficiary_phone: str | None,
    beneficiary_relation: str | None,
    consent_how: str | None,
    consent_on: dt.datetime | None,
) -> None:
    """Register a person; the last line printed is the new member number."""
    joined_on = joined.date() if joined else business_day()
    if joined_on > business_day():
        raise click.ClickException("joined date is in the future")
    if consent_on and not consent_how:
        raise click.ClickException("--consent-on needs --consent (paper, spoken or sms)")
    consented = consent_on.date() if consent_on else joined_on
    if consented > business_day():
        raise click.ClickException("consent date is in the future")
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by) if by else SETUP
            member = add_member(
                session,
                group,
                name=name,
                phone=phone,
                joined_on=joined_on,
                lang=lang,
                born_on=born.date() if born else None,
                by=actor,
                consent=(consented, consent_how) if consent_how else None,
            )
            fee = charge_entrance_fee(session, member, actor)
            receipt = _fee_receipt(session, member, fee) if fee is not None else None
            for office in offices:
                give_office(session, member, Office(office), joined_on, actor)
            details = {"sex": check_sex(sex), "village": (village or "").strip() or None}
            if collector:
                details["collector_id"] = find_collector(session, group, collector, joined_on).id
            edit_member(session, member, {k: v for k, v in details.items() if v}, actor)
            if beneficiary_name:
                set_beneficiary(
                    session,
                    member,
                    beneficiary_name,
                    beneficiary_phone,
                    beneficiary_relation or "",
                    actor,
                )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    held = f" as {' and '.join(offices)}" if offices else ""
    click.echo(f"{member.name} joined {group.code}{held}")
    if fee is not None:
        enqueue_sends(current_redis(), [receipt] if receipt is not None else [])
        click.echo(f"entrance fee {format_baht(fee.amount)} baht #{ref_for(fee.id)}")
    click.echo(member.number)


def _fee_receipt(session: Session, member: Member, fee: Transfer) -> int | None:
    """The new member's receipt for the entrance fee (sent after commit)."""
    text = render(
        member.lang,
        "entrance_fee_receipt",
        group=fund_heading(
            member.group.name, member.group.short_name, code=member.group.code, lang=member.lang
        ),
        amount=format_baht(fee.amount),
        ref=ref_for(fee.id),
    )
    message = queue_sms(session, member.phone, text, MessageKind.RECEIPT, member=member)
    return message.id if message is not None else None


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", "group_code", required=True, help="Group code.")
def import_command(file: Path, group_code: str) -> None:
    """Import name,phone,office,joined,lang[,born,sex,village,collector] rows: all, or none."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"{file} is not UTF-8 text (save the sheet as CSV UTF-8)"
        ) from None
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            rows = validate_csv(session, text, business_day(), group)
            with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
                added = import_members(session, group, rows, bar.update, business_day())
            numbers = [(member.name, member.number) for member in added]
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    except ImportRejected as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(str(exc)) from None
    # Each new member's number, for the collectors' notebooks: name -> number.
    for name, number in numbers:
        click.echo(f"{name} -> {number}")
    noun = "member" if len(numbers) == 1 else "members"
    click.echo(f"imported {len(numbers)} {noun} into {group.code}")


@members.command("status")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.argument("status", type=click.Choice([s.value for s in (Status.ACTIVE, *ENDED)]))
@click.option("--by", required=True, help="Who records it: a committee member's number or login.")
def status_command(group_code: str, number: str, status: str, by: str) -> None:
    """Set a membership active, withdrawn or deceased; ending it ends the member's offices."""
    today = business_day()
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by)
            member = find_member(session, group, number)
            held = offices_of(session, member.id, today)
            set_status(session, member, status, today, actor)
            ended = held - offices_of(session, member.id, today)
            office = f"; no longer {' or '.join(sorted(ended))}" if ended else ""
            click.echo(f"{member.name} (#{member.number}) is {status}{office}")
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


@members.command("edit")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.option("--name")
@click.option("--born", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option("--sex", help="f or m (หญิง or ชาย).")
@click.option("--lang", type=click.Choice(LANGUAGES))
@click.option("--village", help="Their หมู่ or village.")
@click.option("--collector", help="The member number of the collector they usually pay.")
@click.option("--consent", "consent_how", help="How they consented: paper, spoken or sms.")
@click.option("--consent-on", type=click.DateTime(["%Y-%m-%d"]), help="When (default today).")
@click.option("--by", required=True, help="Who records it: a committee member's number or login.")
def edit_command(
    group_code: str,
    number: str,
    name: str | None,
    born: dt.datetime | None,
    sex: str | None,
    lang: str | None,
    village: str | None,
    collector: str | None,
    consent_how: str | None,
    consent_on: dt.datetime | None,
    by: str,
) -> None:
    """Correct a member's details; every change is kept with who made it."""
    consented = consent_on.date() if consent_on else business_day()
    if consented > business_day() or (consent_on and not consent_how):
        raise click.ClickException("--consent-on: a day not in the future, with --consent")
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by)
            member = find_member(session, group, number)
            changes: dict[str, object] = {}
            if name is not None:
                changes["name"] = name
            if born is not None:
                changes["born_on"] = born.date()
            if sex is not None:
                changes["sex"] = check_sex(sex)
            if lang is not None:
                changes["lang"] = lang
            if village is not None:
                changes["village"] = village.strip() or None
            if collector is not None:
                changes["collector_id"] = find_collector(
                    session, group, collector, business_day()
                ).id
            if not changes and not consent_how:
                raise RegistryError("say what to change (--name, --born, --sex, ...)")
            changed = edit_member(session, member, changes, actor)
            if consent_how:
                before = member.consent_on, member.consent_how
                record_consent(session, member, consented, consent_how, actor)
                changed += ["consent"] if before != (member.consent_on, member.consent_how) else []
            done = f"member {member.number}: " + (
                f"changed {', '.join(changed)}" if changed else "nothing to change"
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


@members.command("phone")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.argument("new")
@click.option("--by", required=True, help="Who records it: a committee member's number or login.")
def phone_command(group_code: str, number: str, new: str, by: str) -> None:
    """Move a member to a new phone number; the old one loses all authority."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by)
            member = find_member(session, group, number)
            phone = move_phone(session, member, new, actor)
            done = f"member {member.number} now uses {display_phone(phone)}"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


@members.command("beneficiary")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.option("--name", required=True, help="Who receives a funeral benefit.")
@click.option("--phone", help="Their phone, to tell them.")
@click.option("--relation", required=True, help="How they are related, e.g. ลูก, สามี.")
@click.option("--by", required=True, help="Who records it: a committee member's number or login.")
def beneficiary_command(
    group_code: str, number: str, name: str, phone: str | None, relation: str, by: str
) -> None:
    """Name a member's beneficiary (ผู้รับผลประโยชน์); the last one named counts."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by)
            member = find_member(session, group, number)
            set_beneficiary(session, member, name, phone, relation, actor)
            done = f"member {member.number}: beneficiary {name.strip()} ({relation.strip()})"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


def editor(session: Session, group: Group, by: str) -> Actor:
    """The committee member `--by` names, allowed to change the register; or RegistryError."""
    actor = named(session, group.id, by)
    if not allowed(session, actor, group.id, Power.EDIT_REGISTER, business_day()):
        raise RegistryError(
            f"--by {by}: only the chair, the secretary or the treasurer changes the register"
        )
    return actor


office = AppGroup("office", help="Offices members hold (history is kept).")
members.add_command(office)


def _office_change(
    group_code: str, number: str, name: str, day: dt.datetime | None, by: str, start: bool
) -> None:
    when = day.date() if day else business_day()
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = editor(session, group, by)
            member = find_member(session, group, number)
            chosen = check_office(name)
            if start:
                give_office(session, member, chosen, when, actor)
                done = f"{member.name} (#{member.number}) is {chosen} from {when}"
            else:
                take_office(session, member, chosen, when, actor)
                done = f"{member.name} (#{member.number}) is no longer {chosen} from {when}"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


def _office_term(command: Callable[..., None]) -> Callable[..., None]:
    """The arguments of `office add` and `office end`: who, which office, from when, by whom."""
    for option in reversed(
        (
            click.option("--group", "group_code", required=True, help="Group code."),
            click.argument("number"),
            click.argument("name", metavar="OFFICE"),
            click.option(
                "--from",
                "day",
                type=click.DateTime(["%Y-%m-%d"]),
                help="YYYY-MM-DD (default today).",
            ),
            click.option(
                "--by",
                required=True,
                help="Who records it: the chair's, secretary's or treasurer's number or login.",
            ),
        )
    ):
        command = option(command)
    return command


@office.command("add")
@_office_term
def office_add_command(
    group_code: str, number: str, name: str, day: dt.datetime | None, by: str
) -> None:
    """A member takes up an office: collector, treasurer, chair, secretary, auditor or committee."""
    _office_change(group_code, number, name, day, by, start=True)


@office.command("end")
@_office_term
def office_end_command(
    group_code: str, number: str, name: str, day: dt.datetime | None, by: str
) -> None:
    """A member's office ends from a day (the yearly meeting); the history stays."""
    _office_change(group_code, number, name, day, by, start=False)


@office.command("list")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.option("--all", "everyone", is_flag=True, help="Ended terms too.")
def office_list_command(group_code: str, everyone: bool) -> None:
    """Who holds which office, one line each: number, name, office, from, until."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            rows = office_holders(session, group, None if everyone else business_day())
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    for member, term in rows:
        until = term.ends_on.isoformat() if term.ends_on else "-"
        click.echo(f"{member.number}\t{member.name}\t{term.office}\t{term.starts_on}\t{until}")


def init_app(app: Flask) -> None:
    """Register the group and member commands."""
    app.cli.add_command(groups)
    app.cli.add_command(members)
