"""`backup create FILE` and `backup restore FILE`: backups that are seen to restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from models.audit import check_ledger
from models.backup import BackupError, create_backup, restore_backup

group = AppGroup("backup", help="Back the database up, and restore a backup.")
FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@group.command("create")
@FILE
def create(file: Path) -> None:
    """Write a backup of the live database to FILE (pg_dump custom format, or SQLite's)."""
    try:
        done = create_backup(current_app.config["SATJA"].database_url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {done} ({done.stat().st_size:,} bytes)")


@group.command("restore")
@FILE
def restore(file: Path) -> None:
    """Restore FILE into the configured database, which must be empty; then check the ledger."""
    db = current_db()
    db.dispose()  # nothing of ours holds the database while it is written
    try:
        restore_backup(current_app.config["SATJA"].database_url, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    with db.transaction() as session:
        result = check_ledger(session)
    if not result.ok:
        for violation in result.violations:
            click.echo(f"VIOLATION: {violation}", err=True)
        raise click.ClickException(f"restored {file}, but the ledger does not add up")
    click.echo(f"restored {file}; ledger check ok: {len(result.lines)} accounts, totals match")


def init_app(app: Flask) -> None:
    """Register the backup commands."""
    app.cli.add_command(group)
