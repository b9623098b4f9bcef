"""`members export-data|access-log|anonymise`, `groups retention`: members' rights (PDPA)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from flask import Flask, render_template
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from gateway.commands.registry import groups, members
from gateway.extensions.database import current_db
from gateway.extensions.settings import business_day
from gateway.flows.dates import format_date
from models.actors import Actor
from models.authority import allowed, named
from models.clock import local_today
from models.member_data import member_data
from models.offices import Power
from models.privacy import (
    Access,
    Channel,
    access_log,
    anonymise,
    former_members,
    judge,
    looked_by,
    record_access,
)
from models.registry import Group, RegistryError, change_rules, find_group, find_member

CONSENT_TH = {"paper": "ใบยินยอม (กระดาษ)", "spoken": "วาจา", "sms": "SMS", None: "ไม่ได้บันทึก"}
STATUS_TH = {
    "active": "เป็นสมาชิก",
    "lapsed": "พ้นสภาพสมาชิก (ขาดส่ง)",
    "withdrawn": "พ้นสภาพสมาชิก (ลาออก)",
    "deceased": "พ้นสภาพสมาชิก (เสียชีวิต)",
}


def _person(session: Session, group: Group, by: str | None, power: Power) -> Actor:
    """The person `--by` names, holding the power today; or RegistryError."""
    if not by:
        # A person decides what leaves the fund or is wiped from it, never "the command
        # line": an operator acts on a committee member's word, and names them.
        raise RegistryError("--by: who asks (a committee member's number or login)")
    actor = named(session, group.id, by)
    if not allowed(session, actor, group.id, power, business_day()):
        raise RegistryError(f"--by {by}: this needs a committee office ({power})")
    return actor


@click.command("export-data")
@with_appcontext
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a printable Thai page here, to hand to the member.",
)
@click.option("--by", help="Who asks: a committee member's number or login (kept in the log).")
def export_command(group_code: str, number: str, html_path: Path | None, by: str | None) -> None:
    """Everything held about one member, as JSON on stdout; the export is logged."""
    if html_path is not None and html_path.exists():
        raise click.ClickException(f"{html_path} exists: give a new file name")
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            actor = _person(session, group, by, Power.SEE_BOOKS)
            member = find_member(session, group, number)
            record_access(session, member, Channel.CLI, Access.EXPORT, actor)
            session.flush()
            data = member_data(session, member)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    if html_path is not None:
        html_path.write_text(_page(data), encoding="utf-8")
        click.echo(f"wrote {html_path}", err=True)


def _page(data: dict) -> str:
    """The export as a printable Thai page, dates in the Buddhist Era."""

    def day(text: str | None) -> str:
        if not text:
            return "-"
        if "T" in text:  # a UTC time: the Bangkok day it fell on
            at = dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=dt.UTC)
            return format_date(local_today("Asia/Bangkok", at), "th")
        return format_date(dt.date.fromisoformat(text), "th")

    return render_template(
        "member_data.html",
        data=data,
        r=data["register"],
        day=day,
        baht=lambda satang: f"{satang / 100:,.2f}",
        consent=CONSENT_TH,
        status=STATUS_TH,
        printed=format_date(business_day(), "th"),
    )


@click.command("access-log")
@with_appcontext
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON list.")
def access_log_command(group_code: str, number: str | None, as_json: bool) -> None:
    """Who opened a member's page or data, and when (newest first; one member or all)."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            member = find_member(session, group, number) if number else None
            rows = [
                {
                    "at": row.at.isoformat(timespec="seconds") + "Z",
                    "member": row_member.number,
                    "channel": row.channel,
                    "what": row.what,
                    "by": looked_by(session, row),
                }
                for row, row_member in access_log(session, group, member)
            ]
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['at']}\t{row['member']}\t{row['channel']}\t{row['what']}\t{row['by']}")
    if not rows:
        click.echo("nobody has opened these members' data")


@click.command("anonymise")
@with_appcontext
@click.option("--group", "group_code", required=True, help="Group code.")
@click.option(
    "--member", "numbers", multiple=True, help="Only this member number (repeat for several)."
)
@click.option("--by", help="Who decides: a committee member's number or login (not for --dry-run).")
@click.option("--dry-run", is_flag=True, help="Only list who would be anonymised.")
def anonymise_command(
    group_code: str, numbers: tuple[str, ...], by: str | None, dry_run: bool
) -> None:
    """Replace former members' personal data with placeholders after the retention period."""
    today, kept = business_day(), 0
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            # A dry run writes nothing: anyone may look at who would be anonymised.
            actor = None if dry_run and not by else _person(session, group, by, Power.EDIT_REGISTER)
            if numbers:
                verdicts = [
                    judge(session, group, find_member(session, group, n), today) for n in numbers
                ]
                refused = next((v.refusal for v in verdicts if v.refusal), None)
                if refused:
                    raise RegistryError(f"{refused}: nothing anonymised")
            else:
                verdicts = former_members(session, group, today)
            kept = sum(1 for v in verdicts if v.refusal)
            verdicts = [v for v in verdicts if not v.refusal]
            done = [(v.member.number, v.ended) for v in verdicts]
            if actor is not None and not dry_run:
                for verdict in verdicts:
                    anonymise(session, verdict.member, actor)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would anonymise" if dry_run else "anonymised"
    for n, ended in done:
        click.echo(f"{verb} member {n} (left {ended})")
    if not numbers and kept:
        click.echo(f"kept {kept} former member(s): inside the period, or no recorded end")
    click.echo(
        f"{verb} {len(done)} member{'s' if len(done) != 1 else ''} of {group.code}"
        f" (retention {group.retention_years} years)"
    )


@click.command("retention")
@with_appcontext
@click.argument("code")
@click.argument("years", type=click.IntRange(1, 100))
@click.option("--by", required=True, help="Who decides: the chair's, secretary's or treasurer's.")
def retention_command(code: str, years: int, by: str) -> None:
    """Set how many years a former member's data is kept before it may be anonymised."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            actor = _person(session, group, by, Power.EDIT_REGISTER)
            before = group.retention_years
            change_rules(session, group, {"retention_years": years}, actor)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{group.code}: former members' data kept {years} years (was {before})")


def init_app(_app: Flask) -> None:
    """Hang these commands on `members` and `groups` (registered by commands/registry.py)."""
    for command in (export_command, access_log_command, anonymise_command):
        members.add_command(command)
    groups.add_command(retention_command)
