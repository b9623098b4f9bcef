"""`users add`: a dashboard login for a committee member or for the network."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from models.registry import LANGUAGES, RegistryError, find_group
from models.users import add_user

group = AppGroup("users", help="Dashboard logins.")


@group.command("add")
@click.argument("username")
@click.option("--name", default="", help="Shown on the dashboard, e.g. นางสมศรี ใจดี.")
@click.option("--group", "code", help="The group this login sees.")
@click.option("--network", is_flag=True, help="A network login: sees every group.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="th", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_command(
    username: str, name: str, code: str | None, network: bool, lang: str, password_stdin: bool
) -> None:
    """Create a login; the password is asked for twice (or read from stdin)."""
    if bool(code) == network:
        raise click.UsageError("give either --group CODE or --network")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with current_db().transaction() as session:
            user = add_user(
                session, username, name, password, find_group(session, code) if code else None, lang
            )
            where = code.upper() if code else "every group"
            done = f"{user.username} can log in to the dashboard ({where})"
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)


def init_app(app: Flask) -> None:
    """Register the users commands."""
    app.cli.add_command(group)
