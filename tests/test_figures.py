"""One day of everything, then every figure people read checked against the ledger.

SUM (collector and treasurer), the meeting-day summary, the dashboard's cards and chart
and `report group` must all say what the members' and collectors' accounts say: undone
payments and rejected or withdrawn declarations never count as received.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from people import add_login, declare, ref_of, send
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from gateway.flows.dashboard_texts import DASHBOARD_TEXTS
from models.ledger import Account, Phase, Transfer
from models.outbox import OutboundMessage
from models.registry import Group, add_member
from models.reports import group_report
from workers.notices import write_meeting_summary

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

PASSWORD = "ลับมาก-secret-1"


def amount(text: str) -> int:
    """'1,234' -> satang."""
    return int(text.replace(",", "")) * 100


def ledger_day(db, day, collector_id=None):
    """(count, satang): what moved into members' accounts on a business day, less what left."""
    with db.transaction() as session:
        credit, debit = aliased(Account), aliased(Account)
        rows = session.execute(
            select(credit.key, debit.key, Transfer.amount)
            .join(credit, credit.id == Transfer.credit_account_id)
            .join(debit, debit.id == Transfer.debit_account_id)
            .where(
                Transfer.business_date == day,
                Transfer.phase.in_((Phase.SINGLE.value, Phase.POST.value)),
                *([Transfer.collector_id == collector_id] if collector_id else []),
            )
        ).all()
    count = satang = 0
    for into, out_of, moved in rows:
        if into.startswith("member:"):
            count, satang = count + 1, satang + moved
        elif out_of.startswith("member:"):
            count, satang = count - 1, satang - moved
    return count, satang


def ledger_cash(db, collector_id=None):
    """Cash in collectors' hands, from their accounts."""
    key = f"collector_cash:{collector_id}" if collector_id else "collector_cash:%"
    with db.transaction() as session:
        return session.scalar(
            select(func.sum(Account.debits_posted - Account.credits_posted)).where(
                Account.key.like(key)
            )
        )


@pytest.fixture
def day_of_everything(client, db, fund, today):
    """Payments, an undo, a repeat asked about, declarations every way, a dispute, hand-overs."""
    collector, collector2 = fund["collector"][2], fund["collector2"][2]
    member, member_en = fund["member"], fund["member_en"]
    send(client, collector, f"PAY {member[1]} 30")
    send(client, collector, f"PAY {member[1]} 30")  # a resend: asked about, not posted
    undone = ref_of(send(client, collector, f"PAY {member_en[1]} 45"))
    send(client, collector, f"UNDO {undone}")
    send(client, collector2, f"PAY {member_en[1]} 90")
    send(client, collector, f"OK {declare(db, fund, amount=2000)}")
    send(client, collector, f"NO {declare(db, fund, member='member_en', amount=1000)}")
    send(client, member[2], f"NO {declare(db, fund, amount=1500)}")  # withdrawn by the member
    declare(db, fund, member="member_en", amount=4000)  # still waiting
    disputed = ref_of(send(client, collector, f"PAY {member[1]} 10"))
    send(client, member[2], f"NO {disputed}")
    send(client, fund["treasurer"][2], f"RCV {fund['collector'][1]} 60")
    send(client, fund["treasurer"][2], f"RCV {fund['collector2'][1]} 90")
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        # On tomorrow's meeting day one is exactly 30 days behind, one 31.
        for days, name in ((28, "นายสามสิบ วัน"), (29, "นายสามสิบเอ็ด วัน")):
            add_member(
                session,
                group,
                name=name,
                phone=f"08130000{days}",
                joined_on=today - dt.timedelta(days=days),
            )
        add_login(session, "somsri", group, fund["treasurer"][0], name="สมศรี")
    # Received: 30 + 90 + 20 + 10; the undone 45, the repeat, the rejected, withdrawn
    # and waiting declarations never.
    assert ledger_day(db, today) == (4, 15000)
    return fund


def test_every_figure_agrees_with_the_ledger(client, runner, db, day_of_everything, today):
    fund = day_of_everything
    count, satang = ledger_day(db, today)
    mine = ledger_day(db, today, fund["collector"][0])

    # SUM, the collector's day and the group's.
    reply = send(client, fund["collector"][2], "SUM").get_data(as_text=True)
    got = re.fullmatch(r"วันนี้รับ (\d+) ราย ([\d,]+) บ\. เงินในมือ ([\d,]+) บ\. รอยืนยัน (\d+) ราย", reply)
    assert got, reply
    assert (int(got[1]), amount(got[2])) == mine == (3, 6000)
    assert amount(got[3]) == ledger_cash(db, fund["collector"][0]) == 0
    reply = send(client, fund["treasurer"][2], "SUM").get_data(as_text=True)
    got = re.fullmatch(r"วันนี้รับ (\d+) ราย ([\d,]+) บ\. ผู้เก็บถือ ([\d,]+) บ\. ต้องดู (\d+)", reply)
    assert got, reply
    assert (int(got[1]), amount(got[2])) == (count, satang)
    assert amount(got[3]) == ledger_cash(db) == 0

    # report group, through the command line.
    report = json.loads(runner.invoke(args=["report", "group", "BANNA", "--json"]).output)
    assert (report["received_today"], report["received_today_satang"]) == (count, satang)
    assert report["received_this_month_satang"] == satang
    assert report["contributions_satang"] == satang  # nothing before today
    assert report["cash_with_collectors_satang"] == 0
    assert report["in_arrears"] == sum(
        report["arrears_bands"][b] for b in ("31_60", "61_90", "over_90")
    )

    # The dashboard's cards and this month's bar of the chart.
    page = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post(
        "/dashboard/login", data={"username": "somsri", "password": PASSWORD, "csrf_token": csrf}
    )
    page = client.get("/dashboard/g/BANNA").get_data(as_text=True)

    def card(name: str) -> int:
        return amount(re.search(rf'data-figure="{name}">([\d,.]+)<', page)[1])

    assert card("contributions") == satang and card("cash") == 0
    bars = re.findall(r"<title>[^<]*: ([\d,]+) บาท</title>", page)
    assert len(bars) == 12 and amount(bars[-1]) == satang
    t = DASHBOARD_TEXTS["th"]
    for band in ("paid_up", "1_30", "31_60", "61_90", "over_90"):
        shown = re.search(rf'<td>{t[band]}</td><td class="n">([\d,]+)</td>', page)[1]
        assert int(shown) == report["arrears_bands"][band], band

    # The meeting-day summary tomorrow: the month up to today, arrears by the same rule.
    tomorrow = today + dt.timedelta(days=1)
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.meeting_day = min(tomorrow.day, 28)
        write_meeting_summary(session, group, tomorrow)
        summary = session.scalars(
            select(OutboundMessage.text).where(
                OutboundMessage.to_phone == fund["treasurer"][2],
                OutboundMessage.kind == "summary",
            )
        ).one()
    got = re.search(r"สมาชิก (\d+) คน เก็บได้ ([\d,]+) บ\. ค้างส่ง (\d+) คน", summary)
    assert got, summary
    assert amount(got[2]) == satang
    # Seven active: five joined in January and far behind, one 31 days behind tomorrow
    # (in arrears) and one exactly 30 (not yet).
    assert (int(got[1]), int(got[3])) == (7, 6)
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        assert group_report(session, group, tomorrow).in_arrears == 6
