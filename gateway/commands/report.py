"""`report group`: a group's figures for the committee."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from gateway.database import current_db
from gateway.flows.money import format_baht
from models.registry import RegistryError, find_group
from models.reports import group_report

group = AppGroup("report", help="Reports for committees.")


@group.command("group")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, money in satang.")
def report_group(code: str, as_json: bool) -> None:
    """Members, contributions, matching money, welfare paid and the fund balance."""
    try:
        with current_db().transaction() as session:
            report = group_report(session, find_group(session, code))
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{report['group']}  {report['name']}")
    click.echo(f"active members        {report['members']:>14,}")
    rows = [
        ("contributions", report["contributions_satang"]),
        *((f"matching: {k}", v) for k, v in report["matching_satang"].items()),
        ("welfare paid", report["welfare_paid_satang"]),
        ("administration", report["admin_expense_satang"]),
        ("in the bank", report["bank_satang"]),
        ("with collectors", report["cash_with_collectors_satang"]),
        ("fund balance", report["fund_balance_satang"]),
    ]
    for label, satang in rows:
        click.echo(f"{label:<22}{format_baht(satang, decimals=True):>15} baht")


def init_app(app: Flask) -> None:
    """Register the report commands."""
    app.cli.add_command(group)
