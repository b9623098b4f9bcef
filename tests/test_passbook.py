"""The passbook: report member, the dashboard's printable page, STMT / สมุด by SMS."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, claim_ref, ref_of, send
from sqlalchemy import select

from gateway.flows.dates import format_date
from models.clock import local_today
from models.funds import Source, add_funds
from models.registry import Group, Member

pytestmark = pytest.mark.clock


@pytest.fixture
def paid(client, db, fund):
    """BANNA's member joined today, paid twice (one receipt undone), a hospital claim paid."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 100_000, local_today(), "d", by=BY)
        person = session.get(Member, fund["member"][0])
        person.joined_on = local_today()
        person.beneficiary_name, person.beneficiary_relation = "นายดำ มีสุข", "ลูก"
    refs = [ref_of(send(client, fund["collector"][2], f"PAY 4 {baht}")) for baht in (90, 30)]
    send(client, fund["collector"][2], f"UNDO {refs[1]}")
    claim = claim_ref(send(client, fund["collector"][2], "CLAIM 4 ป่วย 2"))
    send(client, fund["treasurer"][2], f"APPROVE {claim}")
    return refs, claim


def test_report_member_prints_every_line_with_its_paid_through(runner, db, paid, tmp_path):
    refs, claim = paid
    today = local_today()
    html = tmp_path / "passbook.html"
    out = runner.invoke(args=["report", "member", "--group", "BANNA", "4", "--html", str(html)])
    assert out.exit_code == 0, out.output
    through = format_date(today + dt.timedelta(days=89), "th")
    assert f"#{refs[0]}" in out.output and through in out.output
    assert f"#{refs[1]}" in out.output and "ยกเลิกรายการ" in out.output  # the undo, its own line
    assert "รวมส่งสัจจะ 90 บาท" in out.output
    assert f"#{claim}" in out.output and "กองทุนมอบสวัสดิการ 200 บาท" in out.output
    assert "ผู้รับผลประโยชน์ นายดำ มีสุข ลูก" in out.output
    page = html.read_text("utf-8")
    assert f"สมุดบัญชีสมาชิก ปี {today.year + 543}" in page and through in page
    last_year = runner.invoke(
        args=["report", "member", "--group", "BANNA", "4", "--year", str(today.year + 542)]
    )
    assert "รวมส่งสัจจะ 0 บาท" in last_year.output
    missing = runner.invoke(args=["report", "member", "--group", "BANNA", "999"])
    assert missing.exit_code == 1 and "no member number" in missing.output


def test_stmt_by_sms_sends_the_years_totals_in_one_part(client, db, fund, paid):
    today = local_today()
    through = format_date(today + dt.timedelta(days=89), "th")
    for word in ("สมุด", "STMT", "stmt"):
        reply = send(client, fund["member"][2], word).get_data(as_text=True)
        assert reply == f"ปี {today.year + 543} สัจจะ 90 บ. ส่งถึง {through} กองทุนมอบ 200 บ. ค่ะ"
        assert len(reply) <= 70
