"""CODI's yearly figures about people: members, comings and goings, bands, recipients.

Who was a member on 30 September, who joined and who left during the fiscal year,
members by age band and sex, and the members given each benefit.

A member's status on a day is read from the register: active now, or ended (lapsed,
withdrawn, deceased) after that day (`members.status_on`, the day the status took
effect). A member who lapsed and returned within the same year counts as active.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.ledger import Transfer
from models.registry import Group, Member, Status
from models.welfare import Claim, ClaimStatus, whole_years

AGE_BANDS = ((0, "0-17"), (18, "18-59"), (60, "60-69"), (70, "70-79"), (80, "80+"))
ENDINGS = (Status.LAPSED, Status.WITHDRAWN, Status.DECEASED)


def _active_on(member: Member, day: dt.date) -> bool:
    if member.joined_on > day:
        return False
    if member.status == Status.ACTIVE:
        return True
    return member.status_on is not None and member.status_on > day


def age_band(born_on: dt.date | None, day: dt.date) -> str:
    """The member's age band on the day, or 'unknown' without a birth date."""
    if born_on is None:
        return "unknown"
    age, band = whole_years(born_on, day), "unknown"
    for start, name in AGE_BANDS:
        if age >= start:
            band = name
    return band


def people(session: Session, group: Group, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Members on the last day, one year or more, new and ended in [start, end], bands."""
    members = session.scalars(select(Member).where(Member.group_id == group.id)).all()
    active = [m for m in members if _active_on(m, end)]
    year_ago = end.replace(year=end.year - 1)
    ended = Counter(
        m.status
        for m in members
        if m.status in ENDINGS and m.status_on is not None and start <= m.status_on <= end
    )
    bands = Counter((age_band(m.born_on, end), m.sex or "unknown") for m in active)
    return {
        "members_active": len(active),
        "members_one_year": sum(1 for m in active if m.joined_on <= year_ago),
        "members_new": sum(1 for m in members if start <= m.joined_on <= end),
        **{f"members_{status.value}": ended.get(status.value, 0) for status in ENDINGS},
        "members_by_age_sex": {
            f"{band}:{sex}": count for (band, sex), count in sorted(bands.items())
        },
    }


def recipients(session: Session, group: Group, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Members given each benefit in the year (paid, not reversed), and the amounts."""
    rows = session.execute(
        select(Claim.benefit, func.count(func.distinct(Claim.member_id)), func.sum(Claim.amount))
        .join(Transfer, Transfer.id == Claim.transfer_id)
        .where(
            Claim.group_id == group.id,
            Claim.status == ClaimStatus.PAID.value,
            Transfer.business_date >= start,
            Transfer.business_date <= end,
        )
        .group_by(Claim.benefit)
        .order_by(Claim.benefit)
    ).all()
    return {benefit: {"recipients": int(n), "satang": int(s)} for benefit, n, s in rows}
