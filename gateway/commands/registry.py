"""`groups add`, `members add`, `members import`: setting up a fund."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.commands.importer import ImportRejected, import_members, validate_csv
from gateway.extensions.database import current_db
from gateway.extensions.settings import business_day
from gateway.flows.money import baht_to_satang
from models.registry import (
    ENDED,
    LANGUAGES,
    RegistryError,
    Role,
    Status,
    add_group,
    add_member,
    find_group,
    find_member,
    set_status,
)

groups = AppGroup("groups", help="Welfare fund groups.")
members = AppGroup("members", help="People in a group.")


@groups.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The fund's name, e.g. กองทุนสวัสดิการชุมชนตำบลน้ำขาว.")
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
def add_group_command(code: str, name: str, daily_rate: int, meeting_day: int) -> None:
    """Create a group with the default rules (waiting 180 days, lapse after 90)."""
    try:
        with current_db().transaction() as session:
            group = add_group(
                session,
                code,
                name,
                daily_rate_satang=baht_to_satang(daily_rate),
                meeting_day=meeting_day,
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"group {group.code} created")


@members.command("add")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="Any Thai spelling: 081-234-5678, +66 81 234 5678.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.MEMBER.value,
    show_default=True,
)
@click.option(
    "--joined", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (default: today)."
)
@click.option("--lang", type=click.Choice(LANGUAGES), default="th", show_default=True)
@click.option(
    "--born", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (for age rules)."
)
def add_member_command(
    group_code: str,
    name: str,
    phone: str,
    role: str,
    joined: dt.datetime | None,
    lang: str,
    born: dt.datetime | None,
) -> None:
    """Register a person; the last line printed is the new member number."""
    joined_on = joined.date() if joined else business_day()
    if joined_on > business_day():
        raise click.ClickException("joined date is in the future")
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            member = add_member(
                session,
                group,
                name=name,
                phone=phone,
                role=role,
                joined_on=joined_on,
                lang=lang,
                born_on=born.date() if born else None,
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{member.name} joined {group.code} as {member.role}")
    click.echo(member.number)


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", "group_code", required=True, help="Group code.")
def import_command(file: Path, group_code: str) -> None:
    """Import name,phone,role,joined,lang rows: all of them, or none if any is bad."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(
            f"{file} is not UTF-8 text (save the sheet as CSV UTF-8)"
        ) from None
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            rows = validate_csv(session, text, business_day())
            with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
                added = import_members(session, group, rows, bar.update)
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
def status_command(group_code: str, number: str, status: str) -> None:
    """Set a membership active, withdrawn or deceased; ending it ends the member's office."""
    try:
        with current_db().transaction() as session:
            member = find_member(session, find_group(session, group_code), number)
            was = member.role
            set_status(member, status)
            office = f"; no longer {was}" if member.role != was else ""
            click.echo(f"{member.name} (#{member.number}) is {status}{office}")
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


def init_app(app: Flask) -> None:
    """Register the group and member commands."""
    app.cli.add_command(groups)
    app.cli.add_command(members)
