"""`reconcile run`, `exceptions`, `resolve`, `restore`: the nightly books by hand."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from gateway.database import current_db
from gateway.flows.money import format_baht
from gateway.resolutions import (
    CannotResolve,
    CannotRestore,
    find_exception,
    group_of_ref,
    resolve,
    restore_receipt,
)
from models.clock import local_today
from models.ledger import ref_for
from models.reconcile import Action, Kind, OutOfOrder, open_exceptions
from models.registry import Group, Member, RegistryError, find_group
from workers.broker import current_redis
from workers.outbox import enqueue_sends
from workers.reconcile import run_night

group = AppGroup("reconcile", help="Reconcile declarations, cash and the ledger.")
DAY = click.DateTime(["%Y-%m-%d"])


def _today() -> dt.date:
    return local_today(current_app.config["SATJA"].timezone)


@group.command("run")
@click.option("--date", "day", type=DAY, help="Business day (default: today, Asia/Bangkok).")
@click.option("--group", "code", help="Only this group.")
def run(day: dt.datetime | None, code: str | None) -> None:
    """Reconcile a business day now and print what was found."""
    db = current_db()
    business_day = day.date() if day else _today()
    with db.transaction() as session:
        try:
            codes = [find_group(session, code).code] if code else None
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
        count = len(codes) if codes else session.scalar(select(func.count()).select_from(Group))
    try:
        with click.progressbar(length=count, label=f"reconcile {business_day}") as bar:
            result = run_night(
                db, business_day, group_code=code.upper() if code else None,
                progress=lambda _: bar.update(1),
            )  # fmt: skip
    except OutOfOrder as exc:
        raise click.ClickException(str(exc)) from None
    enqueue_sends(current_redis(), result.messages)
    totals: Counter[str] = Counter()
    amounts: Counter[str] = Counter()
    for summary in result.summaries.values():
        for kind, (n, amount) in summary.items():
            totals[kind] += n
            amounts[kind] += amount
    click.echo(f"{business_day}: {len(result.summaries)} group(s)")
    for kind in Kind:
        if totals[kind.value]:
            shown = format_baht(amounts[kind.value], decimals=True)
            click.echo(f"  {kind.value:<15}{totals[kind.value]:>8,}{shown:>18} baht")
    if result.faults:
        for fault in result.faults:
            click.echo(f"LEDGER: {fault}", err=True)
        raise click.ClickException("the ledger disagrees with itself; the treasurer was told")


def _rows(session, group_: Group, today: dt.date) -> list[dict]:  # noqa: ANN001
    numbers = dict(
        session.execute(select(Member.id, Member.number).where(Member.group_id == group_.id)).all()
    )
    return [
        {
            "group": group_.code,
            "kind": f.kind,
            "alert": f.alert,
            "member": numbers.get(f.member_id),
            "collector": numbers.get(f.collector_id),
            "amount_satang": f.amount,
            "age_days": f.age_days,
            "ref": ref_for(f.transfer_id) if f.transfer_id else None,
            "business_date": f.business_date.isoformat() if f.business_date else None,
            "subject": f.subject,
            "detail": f.detail,
        }
        for f in open_exceptions(session, group_, today)
    ]


@group.command("exceptions")
@click.option("--group", "code", help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="A list of objects, money in satang.")
def exceptions(code: str | None, as_json: bool) -> None:
    """Every open exception now, declarations of today included."""
    today = _today()
    with current_db().transaction() as session:
        try:
            groups = (
                [find_group(session, code)]
                if code
                else session.scalars(select(Group).order_by(Group.code)).all()
            )
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
        rows = [row for g in groups for row in _rows(session, g, today)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no open exceptions")
    for row in rows:
        who = f"member {row['member']}" if row["member"] else f"collector {row['collector']}"
        ref = f"#{row['ref']}" if row["ref"] else f"cash:{row['collector']}"
        flag = "!" if row["alert"] else " "
        click.echo(
            f"{flag} {row['group']:<10}{row['kind']:<15}{ref:<12}{who:<16}"
            f"{format_baht(row['amount_satang']):>12} baht  {row['age_days']} day(s)"
        )


@group.command("resolve")
@click.argument("what")
@click.option("--group", "code", required=True, help="The group the exception is in.")
@click.option("--confirm", is_flag=True, help="Confirm it.")
@click.option("--reverse", is_flag=True, help="Undo it.")
@click.option("--note", required=True, help="Why, in a few words (kept for good).")
@click.option("--by", "by", required=True, help="Who decides (a committee member).")
def resolve_command(what: str, code: str, confirm: bool, reverse: bool, note: str, by: str) -> None:
    """Settle an exception named by its ref (#01K7) or cash:<collector no.>."""
    if confirm and reverse:
        # Opposite decisions in one command: do neither, and say so.
        raise click.ClickException("--confirm and --reverse contradict each other: give one")
    action = Action.CONFIRM if confirm else Action.REVERSE if reverse else Action.NOTE
    today = _today()
    try:
        with current_db().transaction() as session:
            group_ = find_group(session, code)
            finding = find_exception(session, group_, what, today)
            resolution, messages = resolve(
                session, group_, finding, action, note=note, by=by, today=today
            )
            done = f"{finding.kind} {what}: {resolution.action} by {resolution.by_name}"
    except (RegistryError, CannotResolve) as exc:
        raise click.ClickException(str(exc)) from None
    enqueue_sends(current_redis(), messages)
    click.echo(done)


@group.command("restore")
@click.argument("ref")
@click.option("--group", "code", help="The group the receipt is in (checked when given).")
@click.option("--reason", required=True, help="Why the reversal was a mistake (kept for good).")
@click.option("--by", "by", required=True, help="Who decides (a committee member).")
def restore_command(ref: str, code: str | None, reason: str, by: str) -> None:
    """Post again, as a new entry, a receipt that was reversed by mistake."""
    try:
        with current_db().transaction() as session:
            group_ = find_group(session, code) if code else group_of_ref(session, ref)
            done, messages = restore_receipt(
                session, group_, ref, reason=reason, by=by, today=_today()
            )
            receipt, new_ref = done.receipt, ref_for(done.transfer.id)
            amount = format_baht(receipt.posted.amount)
    except (RegistryError, CannotRestore) as exc:
        raise click.ClickException(str(exc)) from None
    if done.already:
        click.echo(f"#{receipt.seen.ref} was restored already as #{new_ref}; nothing changed")
        return
    enqueue_sends(current_redis(), messages)
    click.echo(
        f"#{receipt.seen.ref} restored: {amount} baht to member {receipt.member.number} "
        f"as #{new_ref}; member and collector told"
    )


def init_app(app: Flask) -> None:
    """Register the reconcile commands."""
    app.cli.add_command(group)
