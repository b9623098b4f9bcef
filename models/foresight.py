"""A group's figures gathered for the projection (models/projection.py), with where each came from.

Ages and years in the fund come from the register; payment behaviour from today's
standings; the bank from the ledger; lapses, joining, the ages of new members and each
benefit's claims from the group's own history where it has enough, else from the
assumptions file. `basis` says which, so the committee can see what the figures rest on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.figures import ARREARS_AFTER_DAYS
from models.ledger import Account
from models.projection import (
    BENEFITS,
    DAYS,
    DENOMINATOR,
    MILLI,
    OLDEST,
    PPM,
    Assumptions,
    Fund,
    Line,
    Projection,
    Steps,
    _eligible_days,
    _units,
    project,
    project_members,
    tenure_cap,
)
from models.registry import Group, Member, Status
from models.standing import days_behind, paid_through
from models.welfare import Claim, ClaimStatus, schedule_for, whole_years

LAST_BAND_YEARS = 15  # the oldest band of an age table is spread over this many years


def spread_bands(steps: Steps, total: int) -> dict[int, int]:
    """Split total (milli-members) over ages by per-mille band shares, evenly within a band."""
    shares = [share for _, share in steps.steps]
    weight = sum(shares) or 1
    out: dict[int, int] = {}
    for i, (start, share) in enumerate(steps.steps):
        end = steps.steps[i + 1][0] if i + 1 < len(steps.steps) else start + LAST_BAND_YEARS
        band = total * share // weight
        ages = list(range(start, min(end, OLDEST)))
        for j, age in enumerate(ages):
            part = band // len(ages) + (1 if j < band % len(ages) else 0)
            if part:
                out[age] = out.get(age, 0) + part
    left = total - sum(out.values())
    if left and out:
        out[max(out, key=lambda a: (out[a], -a))] += left
    return out


def _shares(counts: Mapping[int, int]) -> dict[int, int]:
    """Counts as ppm shares summing exactly to PPM."""
    total = sum(counts.values())
    shares = {age: n * PPM // total for age, n in counts.items()}
    top = max(counts, key=lambda a: (counts[a], -a))
    shares[top] += PPM - sum(shares.values())
    return shares


def _sex_column() -> Any:
    """The register's sex column when it has one (being added beside this work), else None."""
    return getattr(Member, "sex", None)


def _sex(value: object) -> str:
    text = str(value or "").strip().lower()[:1]
    return {"m": "m", "f": "f", "ช": "m", "ห": "f"}.get(text, "x")


@dataclass(frozen=True)
class Gathered:
    """A fund ready to project, and what its figures rest on."""

    fund: Fund
    lines: dict[str, Line]
    basis: dict[str, Any]


def _balance(session: Session, group: Group) -> int:
    """Bank and cash with collectors, satang."""
    return int(
        session.scalar(
            select(
                func.coalesce(func.sum(Account.debits_posted - Account.credits_posted), 0)
            ).where(
                Account.group_id == group.id,
                (Account.key == "fund_bank") | Account.key.like("collector_cash:%"),
            )
        )
    )


def _register(session: Session, group: Group) -> list[tuple]:
    """(born_on, joined_on, sex, balance, status) of every member, columns only."""
    sex = _sex_column()
    rows = session.execute(
        select(
            Member.born_on,
            Member.joined_on,
            sex if sex is not None else Member.id,
            Account.credits_posted - Account.debits_posted,
            Member.status,
        )
        .join(Account, (Account.member_id == Member.id) & Account.key.like("member:%"))
        .where(Member.group_id == group.id)
    ).all()
    return [(b, j, s if sex is not None else None, int(bal), st) for b, j, s, bal, st in rows]


def gather(
    session: Session,
    group: Group,
    today: dt.date,
    assumptions: Assumptions,
    lines: Mapping[str, Line] | None = None,
) -> Gathered:
    """The group's fund as the projection needs it; lines: a schedule to try, else the group's."""
    schedule = dict(lines) if lines is not None else dict(schedule_for(session, group).benefits)
    rows = _register(session, group)
    active = [r for r in rows if r[4] == Status.ACTIVE.value]
    cells: dict[tuple[int, str, int], int] = {}
    unknown_age: dict[tuple[str, int], int] = {}
    paying = 0
    for born, joined, sex, balance, _ in active:
        tenure = max(0, whole_years(joined, today))
        through = paid_through(joined, balance, group.daily_rate_satang)
        paying += days_behind(through, today, joined) <= ARREARS_AFTER_DAYS
        if born is None:
            key = (_sex(sex), tenure)
            unknown_age[key] = unknown_age.get(key, 0) + MILLI
            continue
        cell = (min(max(0, whole_years(born, today)), OLDEST), _sex(sex), tenure)
        cells[cell] = cells.get(cell, 0) + MILLI
    for (sex, tenure), total in unknown_age.items():
        for age, n in spread_bands(assumptions.ages, total).items():
            cells[(age, sex, tenure)] = cells.get((age, sex, tenure), 0) + n
    first = min((r[1] for r in rows), default=today)
    history_days = max(1, (today - first).days)
    basis: dict[str, Any] = {
        "assumptions": assumptions.version,
        "members": len(active),
        "without_birth_date": sum(1 for r in active if r[0] is None),
        "without_sex": sum(1 for r in active if _sex(r[2]) == "x"),
        "register_has_sex": _sex_column() is not None,
        "paying_percent": round(100 * paying / len(active), 1) if active else 0.0,
        "history_days": history_days,
    }
    lapses, basis["lapses"] = _lapses(rows, history_days, assumptions)
    joiners, basis["joiners"] = _joiners(rows, today, history_days, assumptions)
    join_ages, basis["join_ages"] = _join_ages(rows, assumptions)
    fund = Fund(
        year=today.year,
        balance_satang=_balance(session, group),
        daily_rate_satang=group.daily_rate_satang,
        paying_ppm=paying * PPM // len(active) if active else 0,
        waiting_days=group.waiting_days,
        members=cells,
        lapses_ppm=lapses,
        joiners_ppm=joiners,
        join_ages=join_ages,
    )
    factors, basis["claims"] = _factors(session, group, today, fund, schedule, assumptions)
    return Gathered(dataclasses.replace(fund, factors=factors), schedule, basis)


def _lapses(rows: list[tuple], days: int, a: Assumptions) -> tuple[int, dict[str, Any]]:
    """Lapses a year per member: the group's own once it has enough of them."""
    lapsed = sum(1 for r in rows if r[4] == Status.LAPSED.value)
    if lapsed >= a.least_events and rows:
        # The register keeps no date of lapsing: spread them over the group's life.
        rate = min(PPM, lapsed * DAYS * PPM // (days * len(rows)))
        return rate, {"source": "group", "events": lapsed, "per_1000": rate / MILLI}
    return a.lapses, {"source": "assumptions", "events": lapsed, "per_1000": a.lapses / MILLI}


def _joiners(
    rows: list[tuple], today: dt.date, days: int, a: Assumptions
) -> tuple[int, dict[str, Any]]:
    """Joiners a year per member: the group's last year once it is three years old."""
    year_ago = today - dt.timedelta(days=DAYS)
    joined = sum(1 for r in rows if r[1] > year_ago)
    before = sum(1 for r in rows if r[1] <= year_ago and r[4] == Status.ACTIVE.value)
    if days >= 3 * DAYS and joined >= a.least_events and before:
        rate = min(PPM, joined * PPM // before)
        return rate, {"source": "group", "events": joined, "per_1000": rate / MILLI}
    return a.joiners, {"source": "assumptions", "events": joined, "per_1000": a.joiners / MILLI}


def _join_ages(rows: list[tuple], a: Assumptions) -> tuple[dict[int, int], str]:
    """How old new members are: as the group's members were on joining, when known enough."""
    ages: dict[int, int] = {}
    for born, joined, *_ in rows:
        if born is not None:
            age = min(max(0, whole_years(born, joined)), OLDEST)
            ages[age] = ages.get(age, 0) + 1
    if sum(ages.values()) >= a.least_events:
        return _shares(ages), "group"
    return _shares(spread_bands(a.join_ages, PPM)), "assumptions"


def _factors(
    session: Session,
    group: Group,
    today: dt.date,
    fund: Fund,
    lines: Mapping[str, Line],
    a: Assumptions,
) -> tuple[dict[str, int], dict[str, Any]]:
    """Each benefit's actual claims against the tables' expectation, where the group has enough.

    An actuary's actual-to-expected ratio: units claimed a year (paid claims of the last
    `history_years`) over the units the tables expect of today's members in a year.
    """
    since = today - dt.timedelta(days=DAYS * a.history_years)
    rows = session.execute(
        select(Claim.benefit, func.count(), func.coalesce(func.sum(Claim.units), 0))
        .where(
            Claim.group_id == group.id,
            Claim.status == ClaimStatus.PAID.value,
            Claim.event_date > since,
            Claim.event_date <= today,
        )
        .group_by(Claim.benefit)
    ).all()
    claimed = {benefit: (int(count), int(units)) for benefit, count, units in rows}
    first = min(
        (j for j in session.scalars(select(Member.joined_on).where(Member.group_id == group.id))),
        default=today,
    )
    window = max(1, min((today - first).days, DAYS * a.history_years))
    path = project_members(fund, a, 1, tenure_cap(list(lines.values()), fund))
    factors: dict[str, int] = {}
    basis: dict[str, Any] = {}
    for kind in BENEFITS:
        count, units = claimed.get(kind, (0, 0))
        line = lines.get(kind)
        expected = 0
        if line is not None:
            waiting = fund.waiting_days if line.waiting_days is None else line.waiting_days
            low, high = line.min_age or 0, line.max_age if line.max_age is not None else OLDEST
            for (age, tenure), weight in path.exposure[kind][0].items():
                if low <= age <= high:
                    expected += weight * _units(line, a, age) * _eligible_days(tenure, waiting)
        # expected / DENOMINATOR: the units a year the tables expect of today's members.
        if count >= a.least_events and expected:
            factor = units * DAYS * DENOMINATOR * PPM // (window * expected)
            factors[kind] = factor
            basis[kind] = {"source": "group", "claims": count, "factor_percent": factor / 10_000}
        else:
            basis[kind] = {"source": "assumptions", "claims": count}
    return factors, basis


def projection_of(
    session: Session,
    group: Group,
    today: dt.date,
    assumptions: Assumptions,
    years: int = 10,
    lines: Mapping[str, Line] | None = None,
    *,
    suggest: bool = True,
) -> tuple[Projection, Gathered]:
    """Project the group's fund under its schedule (or the lines given)."""
    gathered = gather(session, group, today, assumptions, lines)
    return project(gathered.fund, gathered.lines, assumptions, years, suggest=suggest), gathered
