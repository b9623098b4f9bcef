"""`ledger check`: the trial balance, and proof that the books add up."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from gateway.flows.money import format_baht
from models.audit import LedgerCheck, check_ledger

group = AppGroup("ledger", help="The double-entry ledger.")


@group.command("check")
@click.option("--verbose", "-v", is_flag=True, help="Print every account's totals too.")
def check(verbose: bool) -> None:
    """One line if the books add up; else the trial balance and each violation (exit 1)."""
    with current_db().transaction() as session:
        result = check_ledger(session)
    if verbose or not result.ok:
        _trial_balance(result)
    if not result.ok:
        for violation in result.violations:
            click.echo(f"VIOLATION: {violation}", err=True)
        raise SystemExit(1)
    click.echo(
        f"ok: {len(result.lines)} accounts, debits equal credits "
        f"({format_baht(result.debits, decimals=True)} baht), totals match the journal"
    )


def _trial_balance(result: LedgerCheck) -> None:
    width = max([len(f"{line.group} {line.key}") for line in result.lines] + [20])
    click.echo(f"{'account':<{width}} {'debits':>16} {'credits':>16}")
    for line in result.lines:
        label = f"{line.group} {line.key}"
        click.echo(
            f"{label:<{width}} {format_baht(line.debits_posted, decimals=True):>16}"
            f" {format_baht(line.credits_posted, decimals=True):>16}"
        )
    click.echo(
        f"{'total':<{width}} {format_baht(result.debits, decimals=True):>16}"
        f" {format_baht(result.credits, decimals=True):>16}"
    )


def init_app(app: Flask) -> None:
    """Register the ledger commands."""
    app.cli.add_command(group)
