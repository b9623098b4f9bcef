"""The projection and the learning day through the command line and the dashboard."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from people import BY
from sqlalchemy import select
from test_dashboard import PASSWORD, log_in

from models.foresight import gather
from models.ledger import Code, TransferSpec, create_transfer
from models.projection import load_assumptions
from models.registry import Group, Member, Status, add_member
from models.users import add_user
from models.welfare import parse_schedule, store_schedule

pytestmark = pytest.mark.clock


# Old-age support far beyond what 1 baht a day brings in (1,000 baht a month from 60):
# the projection must see such a fund run out in its first year, whatever the day of the
# year. Today's default keeps (config/benefits).
PENSION_1000 = """
version = "pension-1000"
max_days_behind = 30

[[benefit]]
type = "elderly"
amount = 1000
unit = "month"
per_claim = 1
per_year = 12
min_age = 60

[[benefit]]
type = "funeral"
amount = 2000
unit = "event"
per_claim = 1
per_year = 1
"""


@pytest.fixture
def logins(db, fund, today):
    """BANNA's committee login and a network login; BANNA's members with birth dates."""
    with db.transaction() as session:
        groups = {g.code: g for g in session.scalars(select(Group))}
        treasurer = session.get(Member, fund["treasurer"][0])
        store_schedule(session, groups["BANNA"], parse_schedule(PENSION_1000))
        add_user(session, "somsri", "สมศรี", PASSWORD, groups["BANNA"], "th", treasurer)
        add_user(session, "network", "เครือข่าย", PASSWORD, None, "th", treasurer)
        for i in range(8):
            member = add_member(
                session,
                groups["BANNA"],
                name=f"ผู้สูงอายุ {i}",
                phone=f"08130000{i:02d}",
                joined_on=today - dt.timedelta(days=400 + i),
                born_on=today - dt.timedelta(days=365 * (62 + i)),
            )
            paid_up = TransferSpec(
                key=f"test:opening:{member.id}",
                group_id=member.group_id,
                debit="fund_bank",
                credit=f"member:{member.id}",
                amount=410_00,
                code=Code.OPENING,
                business_date=member.joined_on,
                member_id=member.id,
                by=BY,
            )
            assert create_transfer(session, paid_up).ok
    return fund


def invoke(runner, *args):
    return runner.invoke(args=list(args))


def test_report_projection_prints_json_text_and_a_printable_page(runner, logins, tmp_path):
    out = invoke(runner, "report", "projection", "--group", "banna", "--json", "--years", "5")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["years"]) == 5 and data["group"] == "BANNA"
    assert data["basis"]["members"] == 13 and data["basis"]["without_birth_date"] == 5
    # Eight pensioners at 1,000 baht a month and no money in the bank: it runs out at once.
    assert data["runs_out"] == data["years"][0]["year"]
    assert {s["kind"] for s in data["suggestions"]} >= {"daily_rate", "amount", "min_age"}
    text = invoke(
        runner, "report", "projection", "--group", "BANNA", "--html", str(tmp_path / "p.html")
    )
    assert "runs out in" in text.output and "Contributions of" in text.output
    page = (tmp_path / "p.html").read_text("utf-8")
    assert "เงินกองทุนจะหมดในปี พ.ศ." in page and "<polyline" in page
    again = json.loads(
        invoke(runner, "report", "projection", "--group", "BANNA", "--json", "--years", "5").output
    )
    assert again == data


def test_report_projection_refuses_bad_input_in_one_line(runner, logins, tmp_path):
    missing = invoke(runner, "report", "projection", "--group", "NOPE")
    assert missing.exit_code != 0 and "no group" in missing.output
    broken = tmp_path / "a.toml"
    broken.write_text('version = "x"\n', "utf-8")
    refused = invoke(
        runner, "report", "projection", "--group", "BANNA", "--assumptions", str(broken)
    )
    assert refused.exit_code != 0 and "assumptions: missing" in refused.output
    assert len(refused.output.strip().splitlines()) == 1


def test_the_groups_own_history_replaces_the_tables_when_it_has_enough(session, logins, today):
    group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
    tables = load_assumptions()
    assert gather(session, group, today, tables).basis["lapses"]["source"] == "assumptions"
    for member in group.members[:3]:
        member.status = Status.LAPSED.value
    session.flush()
    few = dataclasses.replace(tables, least_events=3)
    own = gather(session, group, today, few)
    assert own.basis["lapses"]["source"] == "group"
    assert own.fund.lapses_ppm != tables.lapses
    assert own.basis["join_ages"] == "group"  # eight birth dates are enough at 3


def test_the_projection_page_shows_today_and_the_edited_schedule_side_by_side(client, logins):
    log_in(client, "somsri")
    page = client.get("/dashboard/g/BANNA/projection").get_data(as_text=True)
    assert 'data-verdict="today"' in page and 'data-verdict="edited"' not in page
    assert 'name="elderly.min_age" value="60"' in page
    edited = client.get("/dashboard/g/BANNA/projection?elderly.amount=0&elderly.tier0=0")
    html = edited.get_data(as_text=True)
    assert edited.status_code == 200 and 'data-projection="edited"' in html
    assert 'name="elderly.amount" value="0"' in html
    assert 'data-series="edited"' in html


@pytest.mark.parametrize("value", ["abc", "-5", "99999999", "๑๒x"])
def test_a_bad_value_in_the_form_is_one_polite_line_and_nothing_else(client, logins, value):
    log_in(client, "somsri")
    response = client.get(f"/dashboard/g/BANNA/projection?funeral.amount={value}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ต้องเป็นตัวเลข" in html and 'data-projection="edited"' not in html


def test_another_groups_projection_and_the_network_page_are_refused_to_a_group_login(
    client, logins
):
    log_in(client, "somsri")
    assert client.get("/dashboard/g/NAKLANG/projection").status_code == 403
    assert client.get("/dashboard/network").status_code == 403


def _cells(html: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-group="{code}".*?</tr>', html, re.S).group(0)
    return dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))


def test_the_learning_day_page_matches_report_network_json(client, runner, logins, today):
    day = today.isoformat()
    out = invoke(runner, "report", "network", "--learning-day", day, "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    log_in(client, "network")
    html = client.get(f"/dashboard/network?day={day}&sort=members&desc=1").get_data(as_text=True)
    assert [g["code"] for g in report["groups"]] == ["BANNA", "NAKLANG"]
    for line in report["groups"]:
        cells = _cells(html, line["code"])
        assert cells["members"] == f"{line['members']:,}"
        assert cells["growth"] == f"{line['growth']:,}"
        assert cells["contributions_satang"] == f"{line['contributions_satang'] // 100:,}"
        assert cells["arrears_percent"] == str(line["arrears_percent"])
        assert cells["open_exceptions"] == str(line["open_exceptions"])
        shown = cells["runs_out"]
        assert shown == (str(line["runs_out"] + 543) if line["runs_out"] else "พอ 10 ปี")
    # Sorted by members, most first: BANNA (13) above NAKLANG (2).
    assert html.index('data-group="BANNA"') < html.index('data-group="NAKLANG"')
    ascending = client.get(f"/dashboard/network?day={day}&sort=members").get_data(as_text=True)
    assert ascending.index('data-group="NAKLANG"') < ascending.index('data-group="BANNA"')
    assert client.get("/dashboard/network?day=not-a-day&sort=nonsense").status_code == 200


def test_learning_day_page_prints_in_thai(runner, logins, tmp_path, today):
    path = tmp_path / "day.html"
    out = invoke(
        runner, "report", "network", "--learning-day", today.isoformat(), "--html", str(path)
    )
    assert out.exit_code == 0, out.output
    page = path.read_text("utf-8")
    assert "วันเรียนรู้เครือข่าย" in page and "size: A4" in page and "รวมเครือข่าย" in page
    bad = invoke(runner, "report", "network", "--learning-day", "2026-13-40")
    assert bad.exit_code != 0


def test_the_coordinator_gets_one_sms_part_on_the_networks_meeting_day(
    db, runner, logins, settings, redis_conn
):
    from test_schedule import utc

    from gateway.flows.gsm import sms_parts
    from models.outbox import OutboundMessage
    from workers import runtime
    from workers.notices import send_learning_day
    from workers.schedule import tick

    person = ["--group", "BANNA", "--member", "1"]  # the coordinator is a person too
    add = ["users", "add", "coord", *person, "--network", "--phone", "081-999-0016"]
    created = runner.invoke(
        args=[*add, "--network-meeting-day", "20", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert created.exit_code == 0, created.output
    for wrong in (["--network-meeting-day", "29"], ["--phone", "12345"]):
        bad = runner.invoke(
            args=[
                "users",
                "add",
                "coord2",
                *person,
                "--network",
                "--phone",
                "0819990017",
                *wrong,
                "--password-stdin",
            ],
            input=PASSWORD + "\n",
        )
        assert bad.exit_code != 0 and len(bad.output.strip().splitlines()) == 1
    runtime.install(settings)
    try:
        assert not any(
            j.startswith("learning-day") for j in tick(utc("2026-11-16 08:05").isoformat())
        )
        due = tick(utc("2026-11-20 08:05").isoformat())
        job = next(j for j in due if j.startswith("learning-day"))
        assert job.endswith("-2026-11-20")
        assert send_learning_day(int(job.split("-")[2]), "2026-11-20") == 1
        assert send_learning_day(int(job.split("-")[2]), "2026-11-20") == 0  # once only
    finally:
        runtime.uninstall()
    with db.transaction() as session:
        sent = session.scalars(
            select(OutboundMessage).where(OutboundMessage.to_phone == "+66819990016")
        ).all()
    assert len(sent) == 1
    assert sent[0].text == "วันเรียนรู้ 20 พ.ย. 2569 ดูตาราง 2 กองทุนที่แดชบอร์ด > วันเรียนรู้"
    assert sms_parts(sent[0].text) == 1
