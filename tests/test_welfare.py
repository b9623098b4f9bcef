"""Welfare: schedules, eligibility at its edges, maker-checker claims by SMS, payouts."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, claim_ref, send
from sqlalchemy import select, update

from models.clock import local_today
from models.funds import Source, add_funds
from models.ledger import Account, Code, TransferSpec, create_transfer
from models.outbox import OutboundMessage
from models.registry import Group, Member, Status
from models.welfare import (
    DEFAULT_SCHEDULE,
    Benefit,
    Claim,
    ClaimRefused,
    Schedule,
    ScheduleError,
    current_schedule,
    eligibility,
    file_claim,
    parse_schedule,
    store_schedule,
)

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def test_the_shipped_schedule_parses():
    schedule = parse_schedule(DEFAULT_SCHEDULE.read_text("utf-8"))
    assert schedule.benefits["hospital"].per_claim == 10
    assert schedule.benefits["funeral"].amount_for(0) == 2000
    assert schedule.benefits["funeral"].amount_for(5) == 5000
    assert schedule.benefits["funeral"].amount_for(4) == 3000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "version"),
        ('version = "1"', "no benefit"),
        (
            'version = "1"\n[[benefit]]\ntype = "party"\namount = 1\nper_claim = 1\nper_year = 1',
            "type must be",
        ),
        (
            'version = "1"\n[[benefit]]\ntype = "birth"\namount = 0\nper_claim = 1\nper_year = 1',
            "amount must be",
        ),
        (
            'version = "1"\n[[benefit]]\ntype = "birth"\namount = 5\nper_claim = 1\nper_year = 1\n'
            'unit = "week"',
            "unit must be",
        ),
        (
            'version = "1"\n[[benefit]]\ntype = "birth"\namount = 5\nper_claim = 1\nper_year = 1\n'
            "tiers = [{ years = 0, amount = 9 }]",
            "tier",
        ),
        ("version = ", "not a TOML"),
    ],
)
def test_bad_schedules_are_refused_with_a_reason(text, message):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text)


HOSPITAL = Benefit("hospital", amount=100, unit="night", per_claim=10, per_year=20)
SCHEDULE = Schedule(
    "t",
    30,
    {
        "hospital": HOSPITAL,
        "elderly": Benefit("elderly", 300, "month", 1, 12, min_age=60),
        "funeral": Benefit("funeral", 2000, tiers=((2, 3000), (5, 5000))),
        "disaster": Benefit("disaster", 1000, waiting_days=0),
    },
)


@pytest.fixture
def member(session, make_group, make_member, today):
    group = make_group(waiting_days=180)
    person = make_member(group, joined_on=today - dt.timedelta(days=400))
    session.execute(
        update(Account)
        .where(Account.key == f"member:{person.id}")
        .values(credits_posted=401 * 100)  # paid through today
    )
    session.expire_all()
    return person


def verdict(session, member, benefit, units=1, day=None):
    day = day or local_today()
    return eligibility(session, member, SCHEDULE, benefit, units, day)


def test_eligibility_edges(session, member, today):
    assert verdict(session, member, "hospital", 3).amount == 30000
    assert verdict(session, member, "hospital", 11).refusal == "claim_units"
    assert verdict(session, member, "birth").refusal == "claim_no_benefit"
    # The waiting period: 180 days from joining, to the day.
    member.joined_on = today - dt.timedelta(days=179)
    assert verdict(session, member, "hospital").refusal == "claim_waiting"
    assert verdict(session, member, "hospital").values == {"days": 1}
    assert verdict(session, member, "disaster").ok  # no waiting for disasters
    member.joined_on = today - dt.timedelta(days=180)
    assert verdict(session, member, "hospital").refusal in (None, "claim_behind")


def test_paid_through_limit(session, member, today):
    assert verdict(session, member, "hospital", day=today + dt.timedelta(days=30)).ok
    late = verdict(session, member, "hospital", day=today + dt.timedelta(days=31))
    assert (late.refusal, late.values) == ("claim_behind", {"days": 31})


def test_age_conditions(session, member, today):
    assert verdict(session, member, "elderly").refusal == "claim_no_birth_date"
    member.born_on = dt.date(today.year - 60, today.month, 1) + dt.timedelta(days=40)
    assert verdict(session, member, "elderly").refusal == "claim_age"
    member.born_on = dt.date(today.year - 60, 1, 1)
    assert verdict(session, member, "elderly").amount == 30000


def test_tiers_by_years_of_membership(session, member, today):
    assert verdict(session, member, "funeral").amount == 200000  # 1 year
    member.joined_on = today - dt.timedelta(days=366 * 2)
    session.execute(
        update(Account).where(Account.key == f"member:{member.id}").values(credits_posted=73300)
    )
    session.expire(member)
    assert verdict(session, member, "funeral").amount == 300000


def test_caps_across_a_year_and_status(session, member, today):
    store_schedule(session, member.group, SCHEDULE)
    file_claim(session, member, "hospital", 10, today, BY)
    file_claim(session, member, "hospital", 9, today, BY)
    with pytest.raises(ClaimRefused) as refused:
        file_claim(session, member, "hospital", 2, today, BY)
    assert (refused.value.key, refused.value.values) == (
        "claim_year_cap",
        {"left": 1, "unit": "night"},
    )
    next_year = dt.date(today.year + 1, 1, 1)
    assert verdict(session, member, "hospital", 10, next_year).refusal in (None, "claim_behind")
    member.status = Status.DECEASED.value
    assert verdict(session, member, "hospital").refusal == "claim_not_active"
    assert verdict(session, member, "funeral").ok


def test_a_new_schedule_never_changes_past_claims(session, member, today):
    store_schedule(session, member.group, SCHEDULE)
    claim = file_claim(session, member, "hospital", 2, today, BY)
    richer = Schedule("t2", 30, {"hospital": Benefit("hospital", 500, "night", 10, 20)})
    store_schedule(session, member.group, richer)
    session.refresh(claim)
    assert claim.amount == 20000
    assert current_schedule(session, member.group).version == "t2"
    assert file_claim(session, member, "hospital", 2, today, BY).amount == 100000


# -- by SMS, with two committee members --------------------------------------------


@pytest.fixture
def welfare_fund(db, fund, today):
    """BANNA's member eligible (joined 1 Jan, paid up), and 10,000 baht in the bank."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        session.execute(update(Group).where(Group.id == group.id).values(waiting_days=30))
        paid_up = ((today - dt.date(2026, 1, 1)).days + 1) * 100
        for who in ("member", "member_en"):
            create_transfer(
                session,
                TransferSpec(
                    by=BY,
                    key=f"opening:{who}",
                    group_id=group.id,
                    debit=f"collector_cash:{fund['collector'][0]}",
                    credit=f"member:{fund[who][0]}",
                    amount=paid_up,
                    code=Code.CONTRIBUTION,
                    business_date=today,
                    member_id=fund[who][0],
                    collector_id=fund["collector"][0],
                ),
            )
        add_funds(session, group, Source.CODI_SEED, 1_000_000, today, "seed", by=BY)
    return fund


def texts_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == phone)
        ).all()


def test_claim_then_approve_by_another_pays_from_the_fund(client, db, welfare_fund):
    fund = welfare_fund
    filed = send(client, fund["collector"][2], f"เบิก {fund['member'][1]} ป่วย 3")
    text = filed.get_data(as_text=True)
    assert text.startswith("ยื่นขอค่านอนโรงพยาบาล ให้ นางมาลี 300 บ. #"), text
    ref = claim_ref(filed)
    assert f"อนุมัติ {ref}" in texts_to(db, fund["treasurer"][2])[-1]
    # A collector files claims but decides none (collectors are not the committee).
    own = send(client, fund["collector"][2], f"APPROVE {ref}").get_data(as_text=True)
    assert own == "คำสั่งนี้ใช้ได้เฉพาะกรรมการกองทุนค่ะ"
    # Another group's collector holds no power here: refused before the claim is looked up.
    outsider = send(client, fund["outsider_collector"][2], f"APPROVE {ref}")
    assert "เฉพาะกรรมการ" in outsider.get_data(as_text=True)
    member_says = send(client, fund["member"][2], f"APPROVE {ref}").get_data(as_text=True)
    assert "เฉพาะกรรมการ" in member_says
    approved = send(client, fund["treasurer"][2], f"อนุมัติ #{ref}").get_data(as_text=True)
    assert approved == f"อนุมัติ #{ref} กองทุนมอบ 300 บ. แก่ นางมาลี แล้ว"
    assert (
        texts_to(db, fund["member"][2])[-1]
        == f"กองทุนบ้านนา: มอบค่านอนโรงพยาบาล 300 บ. แก่ นางมาลี แล้ว #{ref} ค่ะ"
    )
    with db.transaction() as session:
        welfare = session.scalars(select(Account).where(Account.key == "welfare:hospital")).one()
        bank = session.scalars(
            select(Account).where(Account.key == "fund_bank", Account.group_id == welfare.group_id)
        ).one()
        assert welfare.debit_balance == 30000 and bank.debit_balance == 1_000_000 - 30000
        claim = session.scalars(select(Claim)).one()
        assert claim.status == "paid" and claim.transfer_id is not None
    again = send(
        client, fund["chair"][2] if "chair" in fund else fund["treasurer"][2], f"APPROVE {ref}"
    ).get_data(as_text=True)
    assert "ตัดสินไปแล้ว" in again


def test_reject_needs_a_reason_and_tells_the_filer(client, db, welfare_fund):
    fund = welfare_fund
    ref = claim_ref(send(client, fund["collector2"][2], f"CLAIM {fund['member_en'][1]} hospital 1"))
    usage = send(client, fund["treasurer"][2], f"REJECT {ref}").get_data(as_text=True)
    assert usage.startswith('ส่งแบบนี้: "อนุมัติ เลขรายการ"')
    done = send(client, fund["treasurer"][2], f"ไม่อนุมัติ {ref} ไม่ได้นอนโรงพยาบาล")
    assert done.get_data(as_text=True).startswith(f"ไม่อนุมัติ #{ref}")
    assert texts_to(db, fund["collector2"][2])[-1] == f"Claim #{ref} rejected: ไม่ได้นอนโรงพยาบาล"
    with db.transaction() as session:
        assert session.scalars(select(Claim.status)).one() == "rejected"
        assert session.scalars(select(Account).where(Account.key == "welfare:hospital")).all() == []


def test_a_short_bank_refuses_and_the_claim_can_be_paid_later(client, db, welfare_fund, today):
    fund = welfare_fund
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        store_schedule(
            session,
            group,
            Schedule("big", 30, {"disaster": Benefit("disaster", 20000, waiting_days=0)}),
        )
    ref = claim_ref(send(client, fund["collector"][2], f"CLAIM {fund['member'][1]} disaster"))
    short = send(client, fund["treasurer"][2], f"APPROVE {ref}").get_data(as_text=True)
    assert short == "เงินในบัญชีกองทุนมี 10,000 บ. ไม่พอมอบ"
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_funds(session, group, Source.LOCAL_GOVERNMENT, 1_000_000, today, "more", by=BY)
    paid = send(client, fund["treasurer"][2], f"APPROVE {ref}").get_data(as_text=True)
    assert paid.startswith(f"อนุมัติ #{ref}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("เบิก", "ส่ง เบิก เลขที่"),
        ("CLAIM 12", "ส่ง CLAIM เลขที่"),
        ("CLAIM 12 party", "ประเภท: คลอด ป่วย"),
        ("CLAIM 12 hospital 0", "ส่ง CLAIM เลขที่"),
        ("CLAIM 12 hospital 3 4", "ส่ง CLAIM เลขที่"),
        ("CLAIM 999 hospital", "ไม่พบสมาชิก 999"),
        ("APPROVE", 'ส่งแบบนี้: "อนุมัติ'),
        ("APPROVE #1", "ส่งแบบนี้"),
        ("APPROVE ZZZZ", "ไม่พบคำขอ #ZZZZ"),
    ],
)
def test_bad_welfare_commands_change_nothing(client, db, welfare_fund, text, expected):
    reply = send(client, welfare_fund["treasurer"][2], text).get_data(as_text=True)
    assert expected in reply, reply
    with db.transaction() as session:
        assert session.scalars(select(Claim)).all() == []


def test_a_member_cannot_file_claims(client, db, welfare_fund):
    reply = send(client, welfare_fund["member"][2], "CLAIM 4 hospital 2").get_data(as_text=True)
    assert reply == "ยื่นคำขอได้เฉพาะกรรมการหรือผู้เก็บเงินค่ะ"


def test_a_refused_claim_says_why(client, db, welfare_fund, today):
    with db.transaction() as session:
        session.execute(
            update(Member)
            .where(Member.id == welfare_fund["member"][0])
            .values(joined_on=today - dt.timedelta(days=10))
        )
    reply = send(client, welfare_fund["treasurer"][2], f"CLAIM {welfare_fund['member'][1]} ป่วย 1")
    assert reply.get_data(as_text=True) == "ยังอยู่ในระยะรอสิทธิ์ อีก 20 วันจึงมีสิทธิ์ค่ะ"


def test_the_ussd_welfare_menu_shows_rates_and_claims(client, db, welfare_fund):
    fund = welfare_fund
    ref = claim_ref(send(client, fund["collector"][2], f"CLAIM {fund['member'][1]} hospital 2"))
    send(client, fund["treasurer"][2], f"APPROVE {ref}")

    def dial(text):
        form = {
            "sessionId": f"ATUid_{text}",
            "serviceCode": "*1234#",
            "networkCode": "52001",
            "phoneNumber": fund["member"][2],
            "text": text,
        }
        return client.post("/ussd", data=form).get_data(as_text=True)

    assert dial("4").startswith("CON สวัสดิการ: มีสิทธิ์รับสวัสดิการ\n1 อัตราสวัสดิการ")
    assert dial("4*1").startswith("CON คลอดบุตร 500 บ./ครั้ง\nนอนโรงพยาบาล 100 บ./คืน\n98 ต่อ")
    claims = dial("4*2")
    assert claims.startswith("CON ") and "นอนโรงพยาบาล 200 บ. มอบแล้ว" in claims
