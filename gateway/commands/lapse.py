"""`members lapses`, `members rejoin` and `groups rules`: lapse and return, a group's rules."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask

from gateway.commands.registry import editor, groups, members
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.extensions.settings import business_day
from gateway.flows.money import baht_to_satang
from gateway.flows.names import fund_heading
from models.lapse import rejoin
from models.registry import (
    RegistryError,
    change_rules,
    check_short_name,
    find_group,
    find_member,
    rule_history,
)
from workers.notices import lapse_night

DAY = click.DateTime(["%Y-%m-%d"])


@members.command("lapses")
@click.option("--date", "day", type=DAY, help="The night to check (default today).")
def lapses_command(day: dt.datetime | None) -> None:
    """Run the nightly membership check now: warnings, lapses, returns (job `lapse`)."""
    night = day.date() if day else business_day()
    totals = lapse_night(current_db(), current_redis(), night)
    click.echo(
        f"{night}: {totals['warned']} warned, {totals['lapsed']} lapsed, "
        f"{totals['returned']} returned"
    )


@members.command("rejoin")
@click.option("--group", "group_code", required=True, help="Group code.")
@click.argument("number")
@click.option("--by", required=True, help="Who records it: a committee member's number or login.")
def rejoin_command(group_code: str, number: str, by: str) -> None:
    """A lapsed member past the return window joins again as new (a new waiting period)."""
    today = business_day()
    try:
        with current_db().transaction() as session:
            group = find_group(session, group_code)
            member = rejoin(
                session, find_member(session, group, number), today, editor(session, group, by)
            )
            click.echo(f"{member.name} (#{member.number}) joined again on {today}")
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


@groups.command("rules")
@click.argument("code")
@click.option("--waiting-days", type=click.IntRange(min=0), help="Days before welfare may be paid.")
@click.option("--lapse-days", type=click.IntRange(min=1), help="Days unpaid before lapsing.")
@click.option(
    "--return-within-days",
    type=click.IntRange(min=0),
    help="Days after lapsing in which paying the arrears returns a member with their years.",
)
@click.option(
    "--entrance-fee",
    type=click.IntRange(min=0),
    help="Baht a new member pays on joining (members who joined before are not touched).",
)
@click.option(
    "--short-name",
    help="At most 20 characters that head its reminders and notices ('' for none).",
)
@click.option("--by", help="The chair's, secretary's or treasurer's number or login (to change).")
@click.option("--history", is_flag=True, help="Also list every change kept: when, what, who.")
def rules_command(
    code: str,
    waiting_days: int | None,
    lapse_days: int | None,
    return_within_days: int | None,
    entrance_fee: int | None,
    short_name: str | None,
    by: str | None,
    history: bool,
) -> None:
    """Show a group's rules, or change the ones given (each change is kept with who made it)."""
    try:
        with current_db().transaction() as session:
            group = find_group(session, code)
            fee = None if entrance_fee is None else baht_to_satang(entrance_fee)
            given = {
                "waiting_days": waiting_days,
                "lapse_days": lapse_days,
                "return_within_days": return_within_days,
                "entrance_fee_satang": fee,
            }
            changes = {name: value for name, value in given.items() if value is not None}
            if short_name is not None:
                changes["short_name"] = check_short_name(short_name)
            if changes:
                if by is None:
                    raise RegistryError("--by: who changes the rules")
                change_rules(session, group, changes, editor(session, group, by))
            click.echo(
                f"{group.code}: waiting {group.waiting_days} days, lapse after "
                f"{group.lapse_days} unpaid, return within {group.return_within_days}, "
                f"entrance fee {group.entrance_fee_satang // 100} baht; SMS headed "
                f"{fund_heading(group.name, group.short_name)!r}"
            )
            if history:
                session.flush()
                for line in rule_history(session, group):
                    click.echo(line)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


def init_app(app: Flask) -> None:
    """Nothing to register: the commands join the `members` and `groups` groups on import."""
    del app
