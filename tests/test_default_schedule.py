"""The shipped schedule is one a fund can keep: projected 30 years on members' money alone."""

from __future__ import annotations

import dataclasses

import pytest

from models.projection import MILLI, PPM, Fund, load_assumptions, project
from models.welfare import default_schedule

YEARS = 30
MEMBERS = 300


def village(tenure: int) -> Fund:
    """300 members spread over ages as the assumptions' village is, all `tenure` years in."""
    assumptions = load_assumptions()
    steps = assumptions.ages.steps
    total = sum(share for _, share in steps)
    cells = {}
    for i, (start, share) in enumerate(steps):
        end = steps[i + 1][0] if i + 1 < len(steps) else start + 15
        for age in range(start, end):
            cells[(age, "x", tenure)] = MEMBERS * MILLI * share // total // (end - start)
    return Fund(
        year=2026,
        balance_satang=0,
        daily_rate_satang=100,
        paying_ppm=PPM,
        waiting_days=180,
        members=cells,
        lapses_ppm=assumptions.lapses,
        joiners_ppm=assumptions.joiners,
        join_ages={20: PPM},
    )


@pytest.mark.parametrize("tenure", [0, 20])
def test_the_default_schedule_holds_on_members_money_alone(tenure):
    # No matching money counted: whatever อบต. and พอช. add is the fund's margin.
    assumptions = dataclasses.replace(load_assumptions(), matching_percent=0, matching_satang=0)
    result = project(village(tenure), default_schedule().benefits, assumptions, YEARS)
    assert result.runs_out is None, [y.balance_satang for y in result.years]
    first = result.years[0]
    # A mature fund still pays out less than its members give, with a margin.
    assert first.paid_out_satang < first.contributions_satang * 90 // 100


def test_old_age_support_waits_fifteen_years_and_gives_a_baht_a_day():
    elderly = default_schedule().benefits["elderly"]
    assert (elderly.waiting_days, elderly.min_age, elderly.amount, elderly.unit) == (
        15 * 365,
        60,
        30,
        "month",
    )
