"""Paid-through dates and arrears, from the balance and the group's daily rate."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY

from models.ledger import Code, TransferSpec, create_transfer
from models.offices import Office
from models.standing import days_behind, member_standing, paid_through

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

JOINED = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("balance", "rate", "expected"),
    [
        (0, 100, dt.date(2025, 12, 31)),  # nothing given: covered up to the day before joining
        (100, 100, dt.date(2026, 1, 1)),  # one day's baht covers the join day
        (3000, 100, dt.date(2026, 1, 30)),
        (3099, 100, dt.date(2026, 1, 30)),  # part of a day does not count
        (36500, 100, dt.date(2026, 12, 31)),
        (3000, 200, dt.date(2026, 1, 15)),  # a fund that asks 2 baht a day
        (5900, 200, dt.date(2026, 1, 29)),
    ],
)
def test_paid_through(balance, rate, expected):
    assert paid_through(JOINED, balance, rate) == expected


@pytest.mark.parametrize(
    ("through", "today", "behind"),
    [
        (dt.date(2026, 11, 16), dt.date(2026, 11, 16), 0),
        (dt.date(2026, 11, 15), dt.date(2026, 11, 16), 1),
        (dt.date(2026, 8, 18), dt.date(2026, 11, 16), 90),
        (dt.date(2026, 12, 16), dt.date(2026, 11, 16), -30),
    ],
)
def test_days_behind(through, today, behind):
    assert days_behind(through, today) == behind


def test_member_standing_follows_the_ledger(session, make_group, make_member):
    group = make_group(daily_rate_satang=100, waiting_days=180)
    collector = make_member(group, Office.COLLECTOR)
    member = make_member(group, joined_on=JOINED)
    today = dt.date(2026, 3, 1)
    standing = member_standing(session, member, today)
    assert (standing.balance_satang, standing.days_behind) == (0, 60)
    assert standing.eligible_on == dt.date(2026, 6, 30)
    assert standing.waiting_days_left(today) == 121
    for month in range(2):
        create_transfer(
            session,
            TransferSpec(
                by=BY,
                key=f"pay-{month}",
                group_id=group.id,
                debit=f"collector_cash:{collector.id}",
                credit=f"member:{member.id}",
                amount=3000,
                code=Code.CONTRIBUTION,
                business_date=today,
            ),
        )
    standing = member_standing(session, member, today)
    assert standing.paid_through == dt.date(2026, 3, 1)
    assert standing.days_behind == 0
    assert standing.waiting_days_left(dt.date(2026, 7, 1)) == 0


@pytest.mark.parametrize(
    ("balance", "on", "behind"),
    [
        (0, JOINED, 0),  # joined today, nothing given yet: not behind
        (100, JOINED, 0),
        (3000, JOINED, -29),  # a month given on the first day: ahead
        (0, JOINED + dt.timedelta(days=1), 2),  # the join day and today are owed from then on
        (100, JOINED + dt.timedelta(days=1), 1),
    ],
)
def test_nobody_is_behind_on_the_day_they_join(
    session, make_group, make_member, balance, on, behind
):
    group = make_group(daily_rate_satang=100)
    collector = make_member(group, Office.COLLECTOR)
    member = make_member(group, joined_on=JOINED)
    if balance:
        create_transfer(
            session,
            TransferSpec(
                by=BY,
                key="pay",
                group_id=group.id,
                debit=f"collector_cash:{collector.id}",
                credit=f"member:{member.id}",
                amount=balance,
                code=Code.CONTRIBUTION,
                business_date=JOINED,
            ),
        )
    assert member_standing(session, member, on).days_behind == behind
