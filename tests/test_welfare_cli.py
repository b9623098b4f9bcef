"""The welfare, funds and report commands, on a small fund and on the NAMKHAO demo."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shlex

import pytest
from people import BY
from sqlalchemy import select

from models.clock import local_today
from models.ledger import Code, TransferSpec, create_transfer
from models.offices import Office
from models.outbox import OutboundMessage
from models.registry import Group, Member, add_group, add_member
from models.welfare import Benefit, Schedule, default_schedule, store_schedule

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def invoke(runner, *parts):
    """Run a command given as shell-like words ("welfare claim --group X", str(number))."""
    return runner.invoke(args=[word for part in parts for word in shlex.split(part)])


@pytest.fixture
def small_fund(db, today):
    """VILLAGE: a member (no. 2) two years in, paid up, their collector (no. 1) holding the cash."""
    with db.transaction() as session:
        group = add_group(session, "VILLAGE", "กองทุนหมู่บ้าน")
        collector = add_member(
            session,
            group,
            name="นายเก็บ เงิน",
            phone="0812000001",
            office=Office.COLLECTOR,
            joined_on=today - dt.timedelta(days=800),
        )
        member = add_member(
            session,
            group,
            name="นางมาลี มีสุข",
            phone="0812000002",
            joined_on=today - dt.timedelta(days=800),
            born_on=dt.date(1950, 1, 1),
        )
        # No. 3, the treasurer, and no. 4, the chair: who records bank money and decides.
        for phone, office in (("0812000003", Office.TREASURER), ("0812000004", Office.CHAIR)):
            add_member(
                session,
                group,
                name=f"กรรมการ {office}",
                phone=phone,
                office=office,
                joined_on=today - dt.timedelta(days=800),
            )
        create_transfer(
            session,
            TransferSpec(
                by=BY,
                key="v:paid",
                group_id=group.id,
                debit=f"collector_cash:{collector.id}",
                credit=f"member:{member.id}",
                amount=801 * 100,
                code=Code.CONTRIBUTION,
                business_date=today,
                member_id=member.id,
                collector_id=collector.id,
            ),
        )
        return member.number, member.phone


def test_funds_add_is_recorded_once_and_expenses_warn_past_a_fifth(runner, db, small_fund):
    first = invoke(
        runner,
        "funds add --by 3 --group village --source codi_seed --amount",
        "1,000 --date 2026-11-01",
    )
    assert first.exit_code == 0 and "1,000 baht from codi_seed" in first.output
    again = invoke(
        runner,
        "funds add --by 3 --group VILLAGE --source codi_seed --amount",
        "1000 --date 2026-11-01",
    )
    assert "already recorded" in again.output
    bad = invoke(
        runner,
        "funds add --by 3 --group VILLAGE --source codi_seed --amount -5",
        "--date 2026-11-01",
    )
    assert bad.exit_code == 2 and "positive amount" in bad.output
    ok = invoke(
        runner,
        "funds expense --by 3 --group VILLAGE --amount 100 --date",
        "2026-11-02 --note 'สมุดบัญชี'",
    )
    assert ok.exit_code == 0 and "WARNING" not in ok.output
    heavy = invoke(
        runner,
        "funds expense --by 3 --group VILLAGE --amount 300 --date",
        "2026-11-03 --note 'ค่าเดินทาง'",
    )
    assert heavy.exit_code == 0 and "WARNING: administration is 22% of the fund" in heavy.output
    too_much = invoke(
        runner, "funds expense --by 3 --group VILLAGE --amount 5000 --date", "2026-11-03 --note x"
    )
    assert too_much.exit_code == 1 and "bank does not hold" in too_much.output
    report = json.loads(invoke(runner, "report group VILLAGE --json").output)
    assert report["matching_satang"] == {"codi_seed": 100000}
    assert report["admin_expense_satang"] == 40000
    assert report["ratio_satang"] == {"members": 80100, "local": 0, "national": 100000}
    assert report["admin_share_percent"] == 22.2


@pytest.mark.parametrize(
    ("amount", "day", "code", "says"),
    [
        ("๑,๐๐๐", "{today}", 0, "1,000 baht from donation on {today}"),  # Thai digits
        ("500", "{thai_today}", 0, "500 baht from donation on {today}"),
        ("500", "{tomorrow}", 2, "is in the future"),
        ("500", "16/11/2569", 2, "not a date like"),
        ("๐", "{today}", 2, "positive amount"),
    ],
)
def test_funds_add_reads_thai_digits_and_refuses_the_future(
    runner, db, small_fund, today, amount, day, code, says
):
    thai = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    dates = {
        "today": today,
        "tomorrow": today + dt.timedelta(days=1),
        "thai_today": today.isoformat().translate(thai),
    }
    result = invoke(
        runner,
        "funds add --by 3 --group VILLAGE --source donation --amount",
        amount,
        "--date",
        day.format(**dates),
    )
    assert result.exit_code == code, result.output
    assert says.format(**dates) in result.output


def test_funds_add_twice_says_how_to_record_a_second(runner, db, small_fund, today):
    args = [
        "funds",
        "add",
        "--by",
        "3",
        "--group",
        "VILLAGE",
        "--source",
        "donation",
        "--amount",
        "500",
        "--date",
        today.isoformat(),
    ]
    invoke(runner, *args)
    again = invoke(runner, *args)
    assert "already recorded; nothing changed" in again.output and "--ref" in again.output
    second = invoke(runner, *args, "--ref R-2")
    assert "already recorded" not in second.output
    report = json.loads(invoke(runner, "report group VILLAGE --json").output)
    assert report["matching_satang"] == {"donation": 100000}


def test_claims_from_the_command_line_need_two_people(runner, db, small_fund):
    number, phone = small_fund
    invoke(
        runner,
        "funds add --by 3 --group VILLAGE --source local_government",
        "--amount 5000 --date 2026-11-01",
    )
    shown = invoke(runner, "welfare schedule show --group VILLAGE")
    assert "version default-2569" in shown.output and "hospital" in shown.output
    # A fund that pays old-age support after a short wait (the default waits 15 years).
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "VILLAGE")).one()
        lines = default_schedule().benefits
        elderly = Benefit("elderly", 300, "month", 1, 12, min_age=60, tiers=((5, 500),))
        short = {"elderly": elderly, "hospital": lines["hospital"]}
        store_schedule(session, group, Schedule("short", 30, short))
    filed = invoke(
        runner, "welfare claim --group VILLAGE --member", str(number), "--type elderly --by 3"
    )
    assert filed.exit_code == 0, filed.output
    assert "300 baht" in filed.output  # two years in: the 500 baht tier needs five
    ref = filed.output.split("#")[1].split(":")[0]
    own = invoke(runner, "welfare approve", ref, "--group VILLAGE --by 3")
    assert own.exit_code == 1 and "your own claim" in own.output
    listed = json.loads(
        invoke(runner, "welfare claims --group VILLAGE --status filed --json").output
    )
    assert [c["ref"] for c in listed] == [ref]
    paid = invoke(runner, "welfare approve", ref, "--group VILLAGE --by 4")
    assert paid.exit_code == 0 and "paid" in paid.output
    with db.transaction() as session:
        told = session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == phone)
        ).all()
    assert told[-1].startswith("กองทุนหมู่บ้าน: มอบเงินผู้สูงอายุ 300 บ. แก่ นางมาลี แล้ว #")
    report = json.loads(invoke(runner, "report group VILLAGE --json").output)
    assert report["welfare_by_type_satang"] == {"elderly": 30000}
    refused = invoke(
        runner,
        "welfare claim --group VILLAGE --member",
        str(number),
        "--type hospital --units 11 --by 3",
    )
    assert refused.exit_code == 1 and "At most 10 nights per claim" in refused.output


def test_a_funeral_benefit_goes_to_the_named_beneficiary(runner, db, small_fund):
    number, _ = small_fund
    invoke(
        runner,
        "funds add --by 3 --group VILLAGE --source donation --amount",
        "5000 --date 2026-11-01",
    )
    no_date = invoke(
        runner, "welfare claim --group VILLAGE --member", str(number), "--type funeral --by 1"
    )
    assert no_date.exit_code == 1 and "date of death" in no_date.output
    died = local_today() - dt.timedelta(days=1)
    filed = invoke(
        runner,
        "welfare claim --group VILLAGE --member",
        str(number),
        f"--type funeral --by 1 --date {died} --beneficiary-name 'ลูกสาว'",
        "--beneficiary-phone 089-111-2222",
    )
    assert filed.exit_code == 0, filed.output
    with db.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == small_fund[1])).one()
        assert (member.status, member.status_on) == ("deceased", died)
    assert "3,000 baht" in filed.output  # two years of membership: the second tier
    ref = filed.output.split("#")[1].split(":")[0]
    assert invoke(runner, "welfare approve", ref, "--group VILLAGE --by 3").exit_code == 0
    with db.transaction() as session:
        told = session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == "+66891112222")
        ).all()
    assert told and told[0].startswith("กองทุนหมู่บ้าน ขอแสดงความเสียใจต่อการจากไปของ นางมาลี"), told


def test_schedule_load_makes_a_new_version(runner, db, small_fund, tmp_path):
    path = tmp_path / "village.toml"
    path.write_text(
        'version = "v2"\n[[benefit]]\ntype = "birth"\namount = 800\nper_claim = 1\nper_year = 1\n',
        "utf-8",
    )
    loaded = invoke(runner, "welfare schedule load", str(path), "--group VILLAGE")
    assert loaded.exit_code == 0 and "schedule v2 loaded, 1 benefits" in loaded.output
    assert "800 baht/event" in invoke(runner, "welfare schedule show --group VILLAGE").output
    path.write_text('version = "v3"\n', "utf-8")
    bad = invoke(runner, "welfare schedule load", str(path), "--group VILLAGE")
    assert bad.exit_code == 1 and "no benefit" in bad.output


@pytest.mark.slow
def test_reports_on_the_demo_data(runner, db, tmp_path, today):
    assert invoke(runner, "demo seed").exit_code == 0
    report = json.loads(invoke(runner, "report group NAMKHAO --json").output)
    assert sum(report["arrears_bands"].values()) == 1_368
    assert report["ratio_satang"] == {
        "members": 554_871_00,
        "local": 10_000_00,
        "national": 100_000_00,
    }
    # Every baht of the members' money falls in exactly one fiscal year (of the last four).
    now = today.year + 543 + (1 if today.month >= 10 else 0)
    years = range(now - 3, now + 1)
    incomes = []
    for be_year in years:
        out = invoke(runner, "report codi --group NAMKHAO --fiscal-year", str(be_year))
        assert out.exit_code == 0, out.output
        rows = {
            (r["section"], r["item"]): r["baht"] for r in csv.DictReader(io.StringIO(out.output))
        }
        incomes.append(float(rows[("income", "members")].replace(",", "")))
    assert sum(incomes) == 554_871
    html = tmp_path / "codi.html"
    out = invoke(
        runner,
        "report codi --group NAMKHAO --fiscal-year",
        str(now),
        "--csv",
        str(tmp_path / "codi.csv"),
        "--html",
        str(html),
    )
    assert out.exit_code == 0, out.output
    page = html.read_text("utf-8")
    assert f"ปีงบประมาณ {now}" in page and f"30 ก.ย. {now}" in page
    assert "เงินสัจจะจากสมาชิก" in page and "ลงชื่อ" in page
    rows = {
        (r["section"], r["item"]): r["baht"]
        for r in csv.DictReader(io.StringIO((tmp_path / "codi.csv").read_text("utf-8")))
    }
    held = sum(float(rows[("balance", k)].replace(",", "")) for k in ("bank", "cash_on_hand"))
    assert held == (554_871 + 110_000)
    network = json.loads(invoke(runner, "report network --json").output)
    assert network["total"]["groups"] == 1
    assert network["total"]["fund_balance_satang"] == report["fund_balance_satang"]
    assert "1 groups, 1,368 active members" in invoke(runner, "report network").output
