"""The projection on funds small enough to work by hand, to the satang; monotone; stable."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from models.projection import (
    MILLI,
    PPM,
    AssumptionsError,
    Fund,
    load_assumptions,
    parse_assumptions,
    project,
)
from models.welfare import Benefit

# Every rate zero but deaths (100 per 1,000 at every age, either sex): a table a
# committee member can follow with a pencil.
PLAIN = """
version = "plain"
[deaths]
male = [[0, 100.0]]
female = [[0, 100.0]]
[births]
women = [[0, 0.0]]
[hospital]
admissions = [[0, 0.0]]
nights = [[0, 4.0]]
[disability]
share = [[0, 0.0]]
[flat]
education = 0.0
disaster = 0.0
[members]
lapses = 0.0
joiners = 0.0
join_ages = [[0, 1000.0]]
ages = [[0, 1000.0]]
[history]
least_events = 30
years = 3
[matching]
percent_of_contributions = 0
baht_per_year = 0
"""

FUNERAL = Benefit("funeral", 1000)
ELDERLY = Benefit("elderly", 300, unit="month", per_year=12, min_age=60)


def ten_members(**changes) -> Fund:
    """Five members aged 70 and five aged 30, five years in the fund, paying 1 baht a day."""
    fund = Fund(
        year=2026,
        balance_satang=10_000_00,
        daily_rate_satang=100,
        paying_ppm=PPM,
        waiting_days=180,
        members={(70, "x", 5): 5 * MILLI, (30, "x", 5): 5 * MILLI},
        lapses_ppm=0,
        joiners_ppm=0,
        join_ages={30: PPM},
    )
    return dataclasses.replace(fund, **changes)


def test_ten_members_worked_by_hand():
    # Year 1: 10 members give 10 x 365 x 1 baht = 3,650 baht; one death is expected
    # (10 x 0.1): a 1,000 baht funeral; five over 60 get 12 x 300 baht = 18,000 baht.
    # 10,000 + 3,650 - 1,000 - 18,000 = -5,350 baht: the fund runs out in year 1 (2027).
    # Year 2: 9 members (4.5 of each age) give 3,285; 0.9 deaths cost 900; 4.5 pensions
    # 16,200: -5,350 + 3,285 - 900 - 16,200 = -19,165 baht.
    result = project(
        ten_members(), {"funeral": FUNERAL, "elderly": ELDERLY}, parse_assumptions(PLAIN), 2
    )
    first, second = result.years
    assert (first.year, first.members, first.died) == (2027, 10, 1)
    assert first.contributions_satang == 3_650_00
    assert first.benefits_satang == {"funeral": 1_000_00, "elderly": 18_000_00}
    assert first.balance_satang == -5_350_00
    assert (second.members, second.contributions_satang) == (9, 3_285_00)
    assert second.benefits_satang == {"funeral": 900_00, "elderly": 16_200_00}
    assert second.balance_satang == -19_165_00
    assert result.runs_out == 2027


def test_rounding_never_flatters_the_fund():
    # Two thirds of ten members pay: 10 x 2/3 x 365 baht = 2,433.33... baht, rounded down
    # to 243,333 satang; a third of a 1,000 baht funeral (one member, deaths 1/3 a year
    # at any age, a member counted in thousandths: 333 of 1,000) rounds up.
    assumptions = parse_assumptions(
        PLAIN.replace("100.0]]\nfemale = [[0, 100.0]]", "333.0]]\nfemale = [[0, 333.0]]")
    )
    fund = ten_members(paying_ppm=666_667, members={(30, "x", 5): 10 * MILLI})
    year = project(fund, {"funeral": FUNERAL}, assumptions, 1).years[0]
    assert year.contributions_satang == 243_333
    # 10 members x 0.333 deaths x 0.666667 paying (may claim) x 1,000 baht = 2,220.0011... baht
    assert year.benefits_satang["funeral"] == 2_220_01


def test_a_fund_that_holds_has_no_run_out_year_and_no_suggestions():
    young = ten_members(members={(30, "x", 5): 10 * MILLI})
    result = project(young, {"funeral": FUNERAL}, parse_assumptions(PLAIN), 10)
    assert result.runs_out is None and result.suggestions == []
    assert all(year.balance_satang >= 0 for year in result.years)


def test_the_suggestions_each_keep_the_fund_above_zero_and_are_the_least_change():
    lines = {"funeral": FUNERAL, "elderly": ELDERLY}
    assumptions = parse_assumptions(PLAIN)
    fund = ten_members()
    result = project(fund, lines, assumptions, 5)
    kinds = {(s.kind, s.benefit): s for s in result.suggestions}
    rate = kinds[("daily_rate", None)].value

    def holds(fund=fund, lines=lines) -> bool:
        return project(fund, lines, assumptions, 5, suggest=False).runs_out is None

    assert holds(fund=ten_members(daily_rate_satang=rate))
    assert not holds(fund=ten_members(daily_rate_satang=rate - 1))
    cut = kinds[("amount", "elderly")]
    assert cut.amounts == (300 * cut.value // 100,)
    assert holds(lines={**lines, "elderly": dataclasses.replace(ELDERLY, amount=cut.amounts[0])})
    assert not holds(
        lines={
            **lines,
            "elderly": dataclasses.replace(ELDERLY, amount=300 * (cut.value + 1) // 100),
        }
    )
    age = kinds[("min_age", "elderly")].value
    assert holds(lines={**lines, "elderly": dataclasses.replace(ELDERLY, min_age=age)})
    assert not holds(lines={**lines, "elderly": dataclasses.replace(ELDERLY, min_age=age - 1)})
    # Funerals alone cannot save it: even none at all leaves the pensions too dear.
    assert ("amount", "funeral") not in kinds


def test_waiting_period_and_tiers_by_years_in_the_fund():
    # A new member (0 years) is covered for 365 - 180 = 185 days of the first year; after
    # two years the funeral tier pays 3,000 baht.
    tiered = Benefit("funeral", 1000, tiers=((2, 3000),))
    fund = ten_members(members={(30, "x", 0): MILLI, (31, "x", 2): MILLI})
    year = project(fund, {"funeral": tiered}, parse_assumptions(PLAIN), 1).years[0]
    # 0.1 x 1,000 x 185/365 + 0.1 x 3,000 = 50.684... + 300 baht -> 35,068.50 rounded up
    assert year.benefits_satang["funeral"] == 35_069


def test_unknown_sex_is_the_mean_of_both_tables():
    text = PLAIN.replace(
        "male = [[0, 100.0]]\nfemale = [[0, 100.0]]", "male = [[0, 120.0]]\nfemale = [[0, 80.0]]"
    )
    assumptions = parse_assumptions(text)
    assert assumptions.deaths(40, "x") == 100_000
    assert assumptions.deaths(40, "m") == 120_000 and assumptions.deaths(40, "f") == 80_000


def test_the_same_figures_give_the_same_projection():
    assumptions = load_assumptions()
    schedule_lines = _default_lines()
    fund = ten_members(
        members={(a, s, a % 7): (a * 37) % 5000 + 1 for a in range(0, 100) for s in "mfx"}
    )
    first = project(fund, schedule_lines, assumptions, 10)
    again = project(fund, schedule_lines, assumptions, 10)
    assert first == again
    assert first.as_dict() == again.as_dict()


def _default_lines():
    from models.welfare import default_schedule

    return dict(default_schedule().benefits)


MONOTONE = [
    # (assumption changed, benefit whose payments may only go up, members may only go down)
    ("hospital.admissions", "hospital"),
    ("births.women", "birth"),
    ("disability.share", "disability"),
    ("deaths.male", "funeral"),
    ("deaths.female", "funeral"),
]


def _with(assumptions, table: str, factor_percent: int):
    """The assumptions with one table's every rate scaled by factor_percent."""
    _section, _name = table.split(".")
    attribute = {
        "hospital.admissions": "admissions",
        "births.women": "births",
        "disability.share": "disability",
        "deaths.male": "deaths_male",
        "deaths.female": "deaths_female",
    }[table]
    steps = getattr(assumptions, attribute)
    scaled = type(steps)(
        tuple((age, min(PPM, r * factor_percent // 100)) for age, r in steps.steps)
    )
    return dataclasses.replace(assumptions, **{attribute: scaled})


def _mixed_fund():
    return ten_members(
        balance_satang=500_000_00,
        members={(a, s, a % 11): 20 * MILLI for a in range(0, 95, 3) for s in "mf"},
        lapses_ppm=30_000,
        joiners_ppm=40_000,
        join_ages={25: PPM // 2, 45: PPM // 2},
    )


@pytest.mark.parametrize(("table", "benefit"), MONOTONE)
def test_more_of_a_risk_never_costs_less(table, benefit):
    base = load_assumptions()
    lines, fund = _default_lines(), _mixed_fund()
    paid = []
    for percent in (50, 100, 150, 300):
        years = project(fund, lines, _with(base, table, percent), 10, suggest=False).years
        paid.append([y.benefits_satang[benefit] for y in years])
    for lower, higher in itertools.pairwise(paid):
        assert all(a <= b for a, b in zip(lower, higher, strict=False)), (table, lower, higher)
    assert paid[0] != paid[-1]


@pytest.mark.parametrize("field", ["lapses_ppm", "joiners_ppm", "paying_ppm", "daily_rate_satang"])
def test_members_and_money_move_one_way_with_each_of_the_groups_rates(field):
    base, lines = load_assumptions(), _default_lines()
    runs = []
    for value in (10_000, 50_000, 200_000):
        runs.append(
            project(dataclasses.replace(_mixed_fund(), **{field: value}), lines, base, 10).years
        )
    members = [[y.members for y in years] for years in runs]
    given = [[y.contributions_satang for y in years] for years in runs]
    step = (lambda a, b: a >= b) if field == "lapses_ppm" else (lambda a, b: a <= b)
    for lower, higher in itertools.pairwise(members):
        assert all(step(a, b) for a, b in zip(lower, higher, strict=False))
    for lower, higher in itertools.pairwise(given):
        assert all(step(a, b) for a, b in zip(lower, higher, strict=False))
    assert given[0] != given[-1]


def test_matching_money_as_configured_counts_in():
    text = PLAIN.replace(
        "percent_of_contributions = 0\nbaht_per_year = 0",
        "percent_of_contributions = 200\nbaht_per_year = 1000",
    )
    year = project(ten_members(), {"funeral": FUNERAL}, parse_assumptions(text), 1).years[0]
    assert year.matching_satang == 2 * 3_650_00 + 1_000_00


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ('version = "plain"', "missing 'version'"),
        ("[[0, 100.0]]\nfemale", "steps start at age 0"),
        ("lapses = 0.0", "missing 'lapses'"),
    ],
)
def test_a_broken_assumptions_file_is_refused_naming_what(change, says):
    broken = PLAIN.replace(
        change, {"[[0, 100.0]]\nfemale": "[[5, 100.0]]\nfemale"}.get(change, ""), 1
    )
    with pytest.raises(AssumptionsError, match=says):
        parse_assumptions(broken)


def test_the_shipped_assumptions_name_their_sources():
    from models.projection import DEFAULT_ASSUMPTIONS

    text = DEFAULT_ASSUMPTIONS.read_text("utf-8")
    for source in (
        "life tables for Thailand",
        "Prospects 2022",
        "สปสช.",
        "พิการ",
    ):
        assert source in text
    assert load_assumptions().deaths(70, "x") == (38_700 + 21_500) // 2
