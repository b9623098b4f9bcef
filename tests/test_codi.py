"""CODI's yearly figures: members on 30 September, comings and goings, bands, recipients, money."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, give

from models.actors import Actor
from models.funds import Source, add_funds
from models.offices import Office
from models.registry import Status
from models.reports import codi_status
from models.welfare import Benefit, Schedule, decide_claim, file_claim, store_schedule

END = dt.date(2026, 9, 30)  # ปีงบ 2569
START = dt.date(2025, 10, 1)


@pytest.fixture
def year(session, make_group, make_member):
    group = make_group(waiting_days=0)
    chair = make_member(group, Office.CHAIR, joined_on=dt.date(2020, 1, 1))
    old = make_member(group, joined_on=dt.date(2020, 1, 1))  # a year and more on 30 Sep
    old.born_on, old.sex = dt.date(1956, 9, 30), "f"  # 70 on 30 Sep 2026
    edge = make_member(group, joined_on=END)  # joined on the last day: counted, not a year
    edge.born_on, edge.sex = dt.date(1966, 10, 1), "m"  # 59 on 30 Sep 2026
    later = make_member(group, joined_on=END + dt.timedelta(days=1))  # next year's
    died_last_day = make_member(group, joined_on=dt.date(2021, 1, 1))
    died_last_day.status, died_last_day.status_on = Status.DECEASED.value, END
    died_next_day = make_member(group, joined_on=dt.date(2021, 1, 1))
    died_next_day.status, died_next_day.status_on = Status.DECEASED.value, END + dt.timedelta(1)
    lapsed_first_day = make_member(group, joined_on=dt.date(2021, 1, 1))
    lapsed_first_day.status, lapsed_first_day.status_on = Status.LAPSED.value, START
    give(session, old, 2300, START - dt.timedelta(days=1), "before")
    give(session, old, 365, START, "in-year")
    add_funds(session, group, Source.CODI_SEED, 1_000_000, START, "seed", by=BY)
    add_funds(session, group, Source.INTEREST, 12_345, END, "interest", by=BY)
    store_schedule(session, group, Schedule("t", 30, {"disaster": Benefit("disaster", 1000)}))
    claim = file_claim(session, old, "disaster", None, dt.date(2026, 5, 1), BY)
    decide_claim(session, claim, Actor.person(chair.id), True, dt.date(2026, 5, 2))
    del later, edge
    return group


def test_members_on_30_september_and_during_the_year(session, year):
    status = codi_status(session, year, 2569, dt.date(2026, 11, 1))
    assert status["members_active"] == 4  # chair, old, edge, died the next day
    assert status["members_one_year"] == 3
    assert status["members_new"] == 1  # joined on 30 Sep, not on 1 Oct
    assert (status["members_deceased"], status["members_lapsed"]) == (1, 1)
    assert status["members_by_age_sex"] == {
        "18-59:m": 1,
        "70-79:f": 1,
        "unknown:unknown": 2,
    }
    assert not status["provisional"]
    assert codi_status(session, year, 2569, END)["provisional"]  # the last day still runs


def test_money_reconciles_interest_is_income_and_recipients_are_counted(session, year):
    status = codi_status(session, year, 2569, dt.date(2026, 11, 1))
    assert status["opening_satang"] == 230_000
    assert status["income_satang"] == {
        "members": 36_500,
        "entrance_fees": 0,
        "interest": 12_345,
    }
    assert status["matching_satang"] == {"codi_seed": 1_000_000}
    assert status["recipients"] == {"disaster": {"recipients": 1, "satang": 100_000}}
    assert status["reconciles"]
    assert status["bank_satang"] == 230_000 + 36_500 + 12_345 + 1_000_000 - 100_000


def test_the_page_and_csv_say_provisional_and_carry_every_section(runner, db, fund, tmp_path):
    html = tmp_path / "codi.html"
    from models.clock import local_today

    today = local_today()
    now = today.year + 543 + (1 if today.month >= 10 else 0)
    out = runner.invoke(
        args=["report", "codi", "--group", "BANNA", "--fiscal-year", str(now), "--html", str(html)]
    )
    assert out.exit_code == 0, out.output
    assert "status,provisional,yes" in out.output and "check,reconciles,ถูกต้อง" in out.output
    assert "members,active," in out.output and "opening,bank_and_cash," in out.output
    page = html.read_text("utf-8")
    assert "ตัวเลขชั่วคราว" in page and "ตามช่วงอายุและเพศ" in page
