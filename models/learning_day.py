"""The network's learning day (the 16th): every group side by side, for one printed page.

Each group's line covers the month since the last learning day, up to the day before
this one (the page is read that morning): members, new members, money received net,
share of members in arrears, welfare paid, cash with collectors, open exceptions, and
the year its projection runs out. The page, `report network --learning-day` and the
coordinator's SMS read this one function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.figures import cash_with_collectors, count_in_arrears, open_exception_count, received
from models.foresight import projection_of
from models.projection import Assumptions
from models.registry import Group, Member
from models.reports import movements
from models.standing import group_standings

COLUMNS = (
    "code",
    "members",
    "growth",
    "contributions_satang",
    "arrears_percent",
    "welfare_paid_satang",
    "cash_with_collectors_satang",
    "open_exceptions",
    "runs_out",
)
DEFAULT_MEETING_DAY = 16


def month_before(day: dt.date) -> dt.date:
    """The same day a month earlier (the month's last day when it has no such day)."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=min(day.day, last.day))


@dataclass(frozen=True)
class GroupLine:
    """One group's line on the learning-day page, money in satang."""

    code: str
    name: str
    members: int
    growth: int  # joined since the last learning day (the register dates no departures)
    contributions_satang: int
    in_arrears: int
    arrears_percent: float
    welfare_paid_satang: int
    cash_with_collectors_satang: int
    open_exceptions: int
    runs_out: int | None  # the projection's year (CE), None: lasts the horizon


def group_line(
    session: Session, group: Group, day: dt.date, assumptions: Assumptions, years: int
) -> GroupLine:
    """A group's figures for the learning day."""
    since, yesterday = month_before(day), day - dt.timedelta(days=1)
    standings = [s for _, s in group_standings(session, group, day)]
    joined = session.scalar(
        select(func.count()).where(
            Member.group_id == group.id, Member.joined_on >= since, Member.joined_on <= yesterday
        )
    )
    moved = movements(session, group, since, yesterday)
    welfare = sum(d - c for key, (d, c) in moved.items() if key.startswith("welfare:"))
    projection, _ = projection_of(session, group, day, assumptions, years, suggest=False)
    return GroupLine(
        code=group.code,
        name=group.name,
        members=len(standings),
        growth=int(joined),
        contributions_satang=received(session, group, since, yesterday).satang,
        in_arrears=count_in_arrears(standings),
        arrears_percent=round(100 * count_in_arrears(standings) / len(standings), 1)
        if standings
        else 0.0,
        welfare_paid_satang=welfare,
        cash_with_collectors_satang=cash_with_collectors(session, group),
        open_exceptions=open_exception_count(session, group, day),
        runs_out=projection.runs_out,
    )


def learning_day(
    session: Session, day: dt.date, assumptions: Assumptions, years: int = 10
) -> dict[str, Any]:
    """Every group's line, and the network's totals, for the learning day."""
    groups = session.scalars(select(Group).order_by(Group.code)).all()
    lines = [group_line(session, g, day, assumptions, years) for g in groups]
    members = sum(line.members for line in lines)
    behind = sum(line.in_arrears for line in lines)
    total = {
        "groups": len(lines),
        "members": members,
        "growth": sum(line.growth for line in lines),
        "contributions_satang": sum(line.contributions_satang for line in lines),
        "in_arrears": behind,
        "arrears_percent": round(100 * behind / members, 1) if members else 0.0,
        "welfare_paid_satang": sum(line.welfare_paid_satang for line in lines),
        "cash_with_collectors_satang": sum(line.cash_with_collectors_satang for line in lines),
        "open_exceptions": sum(line.open_exceptions for line in lines),
        "running_out": sum(1 for line in lines if line.runs_out is not None),
    }
    return {
        "day": day.isoformat(),
        "since": month_before(day).isoformat(),
        "years": years,
        "groups": [asdict(line) for line in lines],
        "total": total,
    }


def sort_lines(lines: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    """The lines sorted by a column; a fund that lasts sorts after every run-out year."""
    if column not in COLUMNS:
        column = "code"

    def key(line: dict[str, Any]) -> tuple:
        value = line[column]
        return (value is None, value) if not descending else (value is not None, value)

    return sorted(lines, key=key, reverse=descending)
