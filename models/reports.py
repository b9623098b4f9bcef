"""Figures for a group: members, contributions, matching, welfare, fund balance."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.clock import local_today
from models.codi import people, recipients
from models.figures import (
    ARREARS_AFTER_DAYS,
    count_in_arrears,
    received,
    received_by_month,
    waiting_declarations,
)
from models.funds import LOCAL, NATIONAL
from models.ledger import Account, Code, Phase, Transfer
from models.registry import Group, Member, Status
from models.standing import Standing, group_standings


def _balances(session: Session, group: Group) -> dict[str, tuple[int, int]]:
    """Posted (debits, credits) per account; member accounts summed under member:*."""
    rows = session.execute(
        select(Account.key, Account.debits_posted, Account.credits_posted).where(
            Account.group_id == group.id, ~Account.key.like("member:%")
        )
    ).all()
    totals = {row.key: (row.debits_posted, row.credits_posted) for row in rows}
    debits, credits = session.execute(
        select(
            func.coalesce(func.sum(Account.debits_posted), 0),
            func.coalesce(func.sum(Account.credits_posted), 0),
        ).where(Account.group_id == group.id, Account.key.like("member:%"))
    ).one()
    totals["member:*"] = (int(debits), int(credits))
    return totals


def _credit(totals: dict[str, tuple[int, int]], key: str) -> int:
    debits, credits = totals.get(key, (0, 0))
    return credits - debits


@dataclass(frozen=True)
class GroupReport:
    """A group's figures, all money in satang: report group, the dashboard, the meeting SMS."""

    group: str
    name: str
    members: int  # active
    members_by_status: dict[str, int]
    contributions_satang: int
    entrance_fees_satang: int
    matching_satang: dict[str, int]  # by source
    welfare_paid_satang: int
    welfare_by_type_satang: dict[str, int]
    admin_expense_satang: int
    bank_satang: int
    cash_with_collectors_satang: int
    fund_balance_satang: int
    received_today: int
    received_today_satang: int
    received_this_month_satang: int
    pending_declarations: int
    pending_declarations_satang: int
    in_arrears: int
    arrears_bands: dict[str, int]
    ratio_satang: dict[str, int]  # CODI's 1:1:1: members, local, national
    admin_share_percent: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return dataclasses.asdict(self)


def group_report(session: Session, group: Group, today: dt.date | None = None) -> GroupReport:
    """The group's figures, all money in satang."""
    totals = _balances(session, group)
    by_status = dict(
        session.execute(
            select(Member.status, func.count())
            .where(Member.group_id == group.id)
            .group_by(Member.status)
        ).all()
    )
    # What rejoining members gave before stays given: set aside, still counted.
    contributions = totals["member:*"][1] - totals["member:*"][0] + _credit(totals, "rejoined")
    fees = _credit(totals, "entrance_fee")
    matching = {
        key.split(":", 1)[1]: credits - debits
        for key, (debits, credits) in sorted(totals.items())
        if key.startswith("matching:")
    }
    welfare = {
        key.split(":", 1)[1]: debits - credits
        for key, (debits, credits) in sorted(totals.items())
        if key.startswith("welfare:")
    }
    admin = totals.get("admin_expense", (0, 0))
    bank = totals.get("fund_bank", (0, 0))
    cash = sum(d - c for key, (d, c) in totals.items() if key.startswith("collector_cash:"))
    waiting = waiting_declarations(session, group)
    today = today or local_today()
    taken_today = received(session, group, today, today)
    standings = [standing for _, standing in group_standings(session, group, today)]
    income = contributions + fees + sum(matching.values())
    return GroupReport(
        group=group.code,
        name=group.name,
        members=by_status.get(Status.ACTIVE.value, 0),
        members_by_status={s.value: by_status.get(s.value, 0) for s in Status},
        contributions_satang=contributions,
        entrance_fees_satang=fees,
        matching_satang=matching,
        welfare_paid_satang=sum(welfare.values()),
        welfare_by_type_satang=welfare,
        admin_expense_satang=admin[0] - admin[1],
        bank_satang=bank[0] - bank[1],
        cash_with_collectors_satang=cash,
        fund_balance_satang=bank[0] - bank[1] + cash,
        received_today=taken_today.count,
        received_today_satang=taken_today.satang,
        received_this_month_satang=received(session, group, today.replace(day=1), today).satang,
        pending_declarations=waiting.count,
        pending_declarations_satang=waiting.satang,
        in_arrears=count_in_arrears(standings),
        arrears_bands=bands_of(standings),
        # CODI's 1:1:1 model: what members gave against local and national matching.
        ratio_satang={
            "members": contributions,
            "local": sum(matching.get(s, 0) for s in LOCAL),
            "national": sum(matching.get(s, 0) for s in NATIONAL),
        },
        admin_share_percent=round(100 * (admin[0] - admin[1]) / income, 1) if income else 0.0,
    )


# Upper limits of days behind; everything past the last band is in arrears too.
ARREARS_BANDS = ((0, "paid_up"), (ARREARS_AFTER_DAYS, "1_30"), (60, "31_60"), (90, "61_90"))


def bands_of(standings: list[Standing]) -> dict[str, int]:
    """Members by days behind: paid up, 1-30, 31-60, 61-90, over 90 (the last three in arrears)."""
    bands = {name: 0 for _, name in ARREARS_BANDS} | {"over_90": 0}
    for standing in standings:
        behind = max(0, standing.days_behind)
        name = next((n for limit, n in ARREARS_BANDS if behind <= limit), "over_90")
        bands[name] += 1
    return bands


def arrears_bands(session: Session, group: Group, today: dt.date) -> dict[str, int]:
    """Active members by days behind: paid up, 1-30, 31-60, 61-90, over 90."""
    return bands_of([standing for _, standing in group_standings(session, group, today)])


def movements(
    session: Session, group: Group, start: dt.date | None, end: dt.date
) -> dict[str, tuple[int, int]]:
    """Posted (debits, credits) per account key by business date in [start, end]."""
    totals: dict[str, list[int]] = {}
    for side, index in ((Transfer.debit_account_id, 0), (Transfer.credit_account_id, 1)):
        rows = session.execute(
            select(Account.key, func.sum(Transfer.amount))
            .join(Account, Account.id == side)
            .where(
                Transfer.group_id == group.id,
                Transfer.phase.in_((Phase.SINGLE.value, Phase.POST.value)),
                Transfer.business_date <= end,
                *([Transfer.business_date >= start] if start else []),
            )
            .group_by(Account.key)
        ).all()
        for key, amount in rows:
            name = "member:*" if key.startswith("member:") else key
            name = "collector_cash:*" if key.startswith("collector_cash:") else name
            totals.setdefault(name, [0, 0])[index] += int(amount)
    return {k: (v[0], v[1]) for k, v in totals.items()}


def fiscal_year(be_year: int) -> tuple[dt.date, dt.date]:
    """CODI's fiscal year: 1 October of the year before to 30 September (BE year given)."""
    year = be_year - 543
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def codi_status(
    session: Session, group: Group, be_year: int, today: dt.date | None = None
) -> dict[str, Any]:
    """The yearly status figures CODI asks for, all money in satang."""
    start, end = fiscal_year(be_year)
    moved = movements(session, group, start, end)
    held = movements(session, group, None, end)

    def credit(key: str, source: dict = moved) -> int:
        debits, credits = source.get(key, (0, 0))
        return credits - debits

    def debit(key: str, source: dict = moved) -> int:
        debits, credits = source.get(key, (0, 0))
        return debits - credits

    before = movements(session, group, None, start - dt.timedelta(days=1))
    # Interest and donations are the fund's own income; matching is what อปท. and the state add.
    sources = {
        key.split(":", 1)[1]: credit(key) for key in sorted(moved) if key.startswith("matching:")
    }
    own = ("interest", "donation")
    income = {
        "members": credit("member:*") + credit("rejoined"),
        "entrance_fees": credit("entrance_fee"),
    } | {k: v for k, v in sources.items() if k in own}
    matching = {k: v for k, v in sources.items() if k not in own}
    welfare = {
        key.split(":", 1)[1]: debit(key) for key in sorted(moved) if key.startswith("welfare:")
    }
    return {
        "group": group.code,
        "name": group.name,
        "fiscal_year_be": be_year,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "provisional": end >= (today or local_today()),
        **people(session, group, start, end),
        "opening_satang": debit("fund_bank", before) + debit("collector_cash:*", before),
        "income_satang": income,
        "matching_satang": matching,
        "recipients": recipients(session, group, start, end),
        "welfare_satang": welfare,
        "expenses_satang": debit("admin_expense"),
        "bank_satang": debit("fund_bank", held),
        "cash_on_hand_satang": debit("collector_cash:*", held),
        # On the page itself: opening + income + matching - welfare - expenses = closing.
        "reconciles": debit("fund_bank", before)
        + debit("collector_cash:*", before)
        + sum(income.values())
        + sum(matching.values())
        - sum(welfare.values())
        - debit("admin_expense")
        == debit("fund_bank", held) + debit("collector_cash:*", held),
    }


def network_report(session: Session, today: dt.date) -> dict[str, Any]:
    """Every group's figures summed, and the groups one by one."""
    groups = session.scalars(select(Group).order_by(Group.code)).all()
    reports = [group_report(session, g, today).as_dict() for g in groups]
    total: dict[str, Any] = {"groups": len(reports)}
    for report in reports:
        for key, value in report.items():
            if isinstance(value, int):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for k, v in value.items():
                    if isinstance(v, int):
                        bucket[k] = bucket.get(k, 0) + v
    return {"total": total, "by_group": reports}


def monthly_contributions(
    session: Session, group: Group, today: dt.date, months: int = 12
) -> list[tuple[dt.date, int]]:
    """(first of month, satang received net) for the last `months` months, oldest first."""
    return received_by_month(session, group, today, months)


def collectors_cash(session: Session, group: Group, today: dt.date) -> list[dict[str, Any]]:
    """Each collector's cash in hand and how many days since their last hand-over."""
    handed = aliased(Transfer)
    last = (
        select(func.max(handed.business_date))
        .where(handed.credit_account_id == Account.id, handed.code == Code.HANDOVER.value)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Member, Account.debits_posted - Account.credits_posted, last)
        .join(Account, (Account.member_id == Member.id) & Account.key.like("collector_cash:%"))
        .where(Member.group_id == group.id)
        .order_by(Member.number)
    ).all()
    out = []
    for member, cash, since in rows:
        since = dt.date.fromisoformat(since) if isinstance(since, str) else since
        out.append(
            {
                "number": member.number,
                "name": member.name,
                "cash_satang": int(cash),
                "last_handover": since,
                "days": (today - since).days if since else None,
                "over": int(cash) > group.cash_limit_satang
                or (since is not None and (today - since).days > group.cash_age_days),
            }
        )
    return out
