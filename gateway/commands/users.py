"""`users add`, `users disable`, `users list`: the dashboard's logins."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from models.base import utcnow
from models.registry import LANGUAGES, RegistryError, find_group, find_member
from models.users import add_user, disable_user, list_users

group = AppGroup("users", help="Dashboard logins.")


@group.command("add")
@click.argument("username")
@click.option("--name", default="", help="Shown on the dashboard, e.g. นางสมศรี ใจดี.")
@click.option("--group", "code", required=True, help="The group of the person behind the login.")
@click.option("--member", "number", required=True, help="Their member number: they act as it.")
@click.option("--network", is_flag=True, help="A network login: sees every group.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="th", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--phone", help="A network coordinator's phone: the learning-day SMS goes there.")
@click.option(
    "--network-meeting-day",
    type=int,
    help="With --phone: the day of the month of the network's learning day (default 16).",
)
def add_command(
    username: str,
    name: str,
    code: str,
    number: str,
    network: bool,
    lang: str,
    password_stdin: bool,
    phone: str | None,
    network_meeting_day: int | None,
) -> None:
    """Create a login for a member; the password is asked for twice (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            member = find_member(session, group, number)
            user = add_user(
                session,
                username,
                name,
                password,
                None if network else group,
                lang,
                member,
                phone=phone,
                network_meeting_day=network_meeting_day,
            )
            where = "every group" if network else group.code
            done = (
                f"{user.username} can log in to the dashboard ({where}) "
                f"as {member.name} (#{member.number} of {group.code})"
            )
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


@group.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Refuse a login from now on; its open dashboard sessions end at once."""
    try:
        with current_db().transaction() as session:
            user = disable_user(session, username, utcnow())
            done = f"{user.username} can no longer log in; its open sessions have ended"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


@group.command("list")
def list_command() -> None:
    """Every login, one line each: username, name, group, language, active or disabled."""
    with current_db().transaction() as session:
        rows = [
            (
                user.username,
                user.name,
                code or "(network)",
                user.lang,
                "disabled" if user.disabled_at else "active",
            )
            for user, code in list_users(session)
        ]
    for row in rows:
        click.echo("\t".join(row))


def init_app(app: Flask) -> None:
    """Register the users commands."""
    app.cli.add_command(group)
