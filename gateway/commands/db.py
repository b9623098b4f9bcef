"""`db upgrade` and `db downgrade`: the schema through Alembic."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from models import migrate

group = AppGroup("db", help="Database schema (Alembic migrations).")


@group.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(current_db().engine, revision)
    click.echo(f"database is at {revision}")


@group.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (e.g. base)."""
    migrate.downgrade(current_db().engine, revision)
    click.echo(f"database is at {revision}")


def init_app(app: Flask) -> None:
    """Register the db commands."""
    app.cli.add_command(group)
