"""`reconcile run`, `exceptions`, `resolve`, `restore`: the nightly books by hand."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.extensions.settings import business_day
from gateway.flows.money import format_baht
from gateway.services.resolutions import (
    CannotResolve,
    CannotRestore,
    find_exception,
    group_of_ref,
    resolve,
    restore_receipt,
)
from models.authority import named, shown
from models.ledger import ref_for
from models.reconcile import (
    Action,
    Finding,
    ItemKind,
    OutOfOrder,
    ReconcileRun,
    exceptions_now,
    open_exceptions,
)
from models.registry import Group, Member, RegistryError, find_group
from workers.outbox import enqueue_sends
from workers.reconcile import RunReport, run_night

group = AppGroup("reconcile", help="Reconcile declarations, cash and the ledger.")
DAY = click.DateTime(["%Y-%m-%d"])


@group.command("run")
@click.option("--date", "day", type=DAY, help="Business day (default: today, Asia/Bangkok).")
@click.option("--group", "code", help="Only this group.")
def run(day: dt.datetime | None, code: str | None) -> None:
    """Reconcile a business day now (missed days first) and print what was found."""
    db = current_db()
    night = day.date() if day else business_day()
    with db.transaction() as session:
        try:
            codes = [find_group(session, code).code] if code else None
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from None
        count = len(codes) if codes else session.scalar(select(func.count()).select_from(Group))
    try:
        with click.progressbar(length=count, label=f"reconcile {night}") as bar:
            result = run_night(
                db,
                night,
                group_code=code.upper() if code else None,
                progress=lambda _: bar.update(1),
            )
    except OutOfOrder as exc:
        raise click.ClickException(str(exc)) from None
    enqueue_sends(current_redis(), result.messages)
    done_now: dict[tuple[bool, dt.date], list[RunReport]] = defaultdict(list)
    for report in result.runs:
        if not report.already:
            done_now[(not report.opening, report.day)].append(report)
    for (_, run_day), reports in sorted(done_now.items()):
        title = f"opening balances, history to {run_day}" if reports[0].opening else run_day
        click.echo(f"{title}: {len(reports)} group(s)")
        _echo_kinds([r.summary for r in reports])
    with db.transaction() as session:
        for report in result.runs:
            if report.already:
                _echo_already(session, report, bool(result.faults))
    if result.faults:
        for fault in result.faults:
            click.echo(f"LEDGER: {fault}", err=True)
        raise click.ClickException("the ledger disagrees with itself; the treasurer was told")


def _echo_kinds(summaries: list[dict[str, tuple[int, int]]]) -> None:
    totals: Counter[str] = Counter()
    amounts: Counter[str] = Counter()
    for summary in summaries:
        for kind, (n, amount) in summary.items():
            totals[kind] += n
            amounts[kind] += amount
    for kind in ItemKind:
        if totals[kind.value]:
            shown = format_baht(amounts[kind.value], decimals=True)
            click.echo(f"  {kind.value:<15}{totals[kind.value]:>8,}{shown:>18} baht")


def _echo_already(session: Session, report: RunReport, ledger_open: bool) -> None:
    """A day run before: its frozen figures, then its exceptions as they stand today."""
    stored = session.get(ReconcileRun, report.run_id)
    group_ = session.get(Group, stored.group_id)
    finished = _local(stored.finished_at)
    click.echo(
        f"{report.day}: {report.group} was reconciled on {finished:%Y-%m-%d %H:%M}; as then:"
    )
    _echo_kinds([report.summary])
    states = exceptions_now(session, stored, group_, business_day(), ledger_open)
    if not states:
        return
    click.echo("  its exceptions, today:")
    people = _people(session, group_)
    for state in states:
        now = state.state
        if state.state == "resolved":
            now = f"resolved ({state.how}) by {state.by} on {state.on}"
        elif state.how:
            now = f"closed ({state.how}{f' by the {state.by}' if state.by else ''}"
            now += f" on {state.on})" if state.on else ")"
        click.echo(f"  {_line(state.finding, people)}  {now}")


def _local(moment: dt.datetime) -> dt.datetime:
    zone = ZoneInfo(current_app.config["SATJA"].timezone)
    return moment.replace(tzinfo=dt.UTC).astimezone(zone)


def _people(session: Session, group_: Group) -> dict[int, tuple[str, str]]:
    """Member number and name by id, for the group."""
    rows = session.execute(
        select(Member.id, Member.number, Member.name).where(Member.group_id == group_.id)
    ).all()
    return {member_id: (str(number), name) for member_id, number, name in rows}


def _line(f: Finding, people: dict[int, tuple[str, str]]) -> str:
    """One exception on one line: kind, the reference the person saw, who, how much."""
    ref = f"#{f.ref}" if f.ref else f"cash:{people.get(f.collector_id, ('?',))[0]}"
    who = []
    if f.member_id in people:
        who.append("member {} {}".format(*people[f.member_id]))
    if f.collector_id in people:
        who.append("collector {} {}".format(*people[f.collector_id]))
    flag = "!" if f.alert else " "
    return (
        f"{flag} {f.kind:<15}{ref:<12}{format_baht(f.amount):>10} baht  "
        f"{f.age_days or 0} day(s)  {', '.join(who)}"
    )


def _rows(session: Session, group_: Group, today: dt.date) -> list[dict]:
    people = _people(session, group_)

    def number(member_id: int | None) -> int | None:
        return int(people[member_id][0]) if member_id in people else None

    def name(member_id: int | None) -> str | None:
        return people[member_id][1] if member_id in people else None

    return [
        {
            "group": group_.code,
            "kind": f.kind,
            "alert": f.alert,
            "member": number(f.member_id),
            "member_name": name(f.member_id),
            "collector": number(f.collector_id),
            "collector_name": name(f.collector_id),
            "amount_satang": f.amount,
            "age_days": f.age_days,
            "ref": f.ref,
            "posting_ref": ref_for(f.transfer_id) if f.transfer_id else None,
            "business_date": f.business_date.isoformat() if f.business_date else None,
            "subject": f.subject,
            "detail": f.detail,
            "line": _line(f, people),
        }
        for f in open_exceptions(session, group_, today)
    ]


@group.command("exceptions")
@click.option("--group", "code", help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="A list of objects, money in satang.")
def exceptions(code: str | None, as_json: bool) -> None:
    """Every open exception now, declarations of today included."""
    today = business_day()
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
        for row in rows:
            del row["line"]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no open exceptions")
    for row in rows:
        click.echo(f"{row['group']:<10}{row['line']}")


@group.command("resolve")
@click.argument("what")
@click.option("--group", "code", required=True, help="The group the exception is in.")
@click.option("--confirm", is_flag=True, help="Confirm it.")
@click.option("--reverse", is_flag=True, help="Undo it.")
@click.option("--note", required=True, help="Why, in a few words (kept for good).")
@click.option(
    "--by", "by", required=True, help="Who decides: a committee member's number or login."
)
def resolve_command(what: str, code: str, confirm: bool, reverse: bool, note: str, by: str) -> None:
    """Settle an exception named by its ref (#12340) or cash:<collector no.>."""
    if confirm and reverse:
        # Opposite decisions in one command: do neither, and say so.
        raise click.ClickException("--confirm and --reverse contradict each other: give one")
    action = Action.CONFIRM if confirm else Action.REVERSE if reverse else Action.NOTE
    today = business_day()
    try:
        with current_db().transaction() as session:
            group_ = find_group(session, code)
            finding = find_exception(session, group_, what, today)
            actor = named(session, group_.id, by)
            resolution, messages = resolve(
                session, group_, finding, action, note=note, by=actor, today=today
            )
            done = f"{finding.kind} {what}: {resolution.action} by {shown(session, actor)}"
    except (RegistryError, CannotResolve) as exc:
        raise click.ClickException(str(exc)) from None
    enqueue_sends(current_redis(), messages)
    click.echo(done)


@group.command("restore")
@click.argument("ref")
@click.option("--group", "code", help="The group the receipt is in (checked when given).")
@click.option("--reason", required=True, help="Why the reversal was a mistake (kept for good).")
@click.option(
    "--by", "by", required=True, help="Who decides: a committee member's number or login."
)
def restore_command(ref: str, code: str | None, reason: str, by: str) -> None:
    """Post again, as a new entry, a receipt that was reversed by mistake."""
    try:
        with current_db().transaction() as session:
            group_ = find_group(session, code) if code else group_of_ref(session, ref)
            done, messages = restore_receipt(
                session,
                group_,
                ref,
                reason=reason,
                by=named(session, group_.id, by),
                today=business_day(),
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
