"""Claims judged on the event: waiting, filing deadline, joining, age, funerals, documents."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, claim_ref, give, send
from sqlalchemy import select, update

from gateway.flows.sms_grammar import event_date, parse
from models.actors import Actor
from models.clock import local_today
from models.funds import Source, add_funds
from models.ledger import Account, Transfer
from models.offices import Office
from models.registry import Group, Member, MemberChange, Status, add_member, give_office
from models.welfare import (
    Benefit,
    Claim,
    ClaimDocument,
    ClaimRefused,
    Schedule,
    decide_claim,
    documents_missing,
    eligibility,
    file_claim,
    receive_documents,
    store_schedule,
)

pytestmark = pytest.mark.clock

SCHEDULE = Schedule(
    "events",
    30,
    {
        "hospital": Benefit(
            "hospital", 100, "night", 10, 20, file_within_days=30, documents=("ใบรับรองแพทย์",)
        ),
        "birth": Benefit("birth", 500, per_year=2, documents=("สูติบัตร", "สำเนาบัตรประชาชน")),
        "elderly": Benefit("elderly", 300, "month", 1, 12, min_age=60),
        "funeral": Benefit("funeral", 2000, documents=("มรณบัตร",)),
    },
)


@pytest.fixture
def member(session, make_group, make_member, today):
    """Joined 400 days ago with a 180-day wait, paid well ahead."""
    group = make_group(waiting_days=180)
    person = make_member(group, joined_on=today - dt.timedelta(days=400))
    session.execute(
        update(Account).where(Account.key == f"member:{person.id}").values(credits_posted=500 * 100)
    )
    session.expire_all()
    return person


def judge(session, member, benefit, units=1, *, event=None, day=None):
    return eligibility(session, member, SCHEDULE, benefit, units, day or local_today(), event)


def test_the_waiting_period_is_judged_on_the_event(session, member, today):
    eligible_on = member.joined_on + dt.timedelta(days=180)
    # Taken ill the day before the wait ended, claimed months later: never claimable.
    late = judge(session, member, "birth", event=eligible_on - dt.timedelta(days=1))
    assert (late.refusal, late.values) == ("claim_waiting_event", {"days": 1})
    assert judge(session, member, "birth", event=eligible_on).ok


def test_an_event_before_joining_or_still_to_come_is_refused(session, member, today):
    before = judge(session, member, "birth", event=member.joined_on - dt.timedelta(days=1))
    assert before.refusal == "claim_before_joining"
    # The day of joining is inside the wait, not before joining.
    assert judge(session, member, "birth", event=member.joined_on).refusal == "claim_waiting_event"
    assert judge(session, member, "birth", event=today + dt.timedelta(days=1)).refusal == (
        "claim_future"
    )
    assert judge(session, member, "birth", event=today).ok


def test_the_filing_deadline_counts_from_the_event(session, member, today):
    assert judge(session, member, "hospital", 2, event=today - dt.timedelta(days=30)).ok
    late = judge(session, member, "hospital", 2, event=today - dt.timedelta(days=31))
    assert (late.refusal, late.values) == ("claim_late", {"days": 30})
    # Birth sets no deadline.
    assert judge(session, member, "birth", event=today - dt.timedelta(days=200)).ok


def test_status_is_judged_on_the_event(session, member, today):
    member.status, member.status_on = Status.LAPSED.value, today - dt.timedelta(days=5)
    assert judge(session, member, "birth", event=today - dt.timedelta(days=6)).ok
    lapsed = judge(session, member, "birth", event=today - dt.timedelta(days=5))
    assert lapsed.refusal == "claim_not_active"


def test_nights_are_asked_for_not_assumed(session, member):
    assert judge(session, member, "hospital", None).refusal == "claim_count"
    assert judge(session, member, "birth", None).amount == 50000


def test_age_is_taken_on_the_event(session, member, today):
    event = today - dt.timedelta(days=10)
    member.born_on = dt.date(event.year - 60, event.month, event.day)  # 60 on the event
    assert judge(session, member, "elderly", event=event).ok
    assert judge(session, member, "elderly", event=event - dt.timedelta(days=1)).values == {
        "age": 59
    }


def test_a_hospital_claim_keeps_admission_discharge_and_filing_dates(session, member, today):
    store_schedule(session, member.group, SCHEDULE)
    admitted = today - dt.timedelta(days=5)
    claim = file_claim(session, member, "hospital", 3, today, BY, event=admitted)
    assert (claim.event_date, claim.event_end, claim.filed_on) == (
        admitted,
        admitted + dt.timedelta(days=3),
        today,
    )
    assert claim.amount == 30000


def test_a_funeral_claim_records_the_death_and_ends_the_membership(session, member, today):
    store_schedule(session, member.group, SCHEDULE)
    with pytest.raises(ClaimRefused) as refused:
        file_claim(session, member, "funeral", None, today, BY)
    assert refused.value.key == "claim_death_date"
    assert member.status == Status.ACTIVE and session.scalars(select(Claim)).all() == []
    died = today - dt.timedelta(days=3)
    claim = file_claim(session, member, "funeral", None, today, BY, event=died)
    assert claim.event_date == died
    assert (member.status, member.status_on) == (Status.DECEASED, died)
    change = session.scalars(select(MemberChange).where(MemberChange.what == "status")).one()
    assert (change.old, change.new, change.by) == ("active", "deceased", BY)


def test_a_member_recorded_deceased_is_claimed_for_on_the_recorded_date(session, member, today):
    store_schedule(session, member.group, SCHEDULE)
    member.status, member.status_on = Status.DECEASED.value, today - dt.timedelta(days=2)
    assert file_claim(session, member, "funeral", None, today, BY).event_date == member.status_on
    member.status_on = None  # a deceased member with no recorded date needs one
    with pytest.raises(ClaimRefused):
        file_claim(session, member, "funeral", None, today, BY)


def test_documents_must_all_be_received_before_approval(session, member, today):

    store_schedule(session, member.group, SCHEDULE)
    add_funds(session, member.group, Source.DONATION, 1_000_000, today, "d", by=BY)
    claim = file_claim(session, member, "birth", None, today, BY)
    assert documents_missing(session, claim) == ["สูติบัตร", "สำเนาบัตรประชาชน"]
    with pytest.raises(ClaimRefused) as unknown:
        receive_documents(session, claim, ["ใบขับขี่"], today, BY)
    assert unknown.value.key == "claim_document_unknown"
    assert receive_documents(session, claim, ["สูติบัตร", "สูติบัตร"], today, BY) == ["สูติบัตร"]
    assert receive_documents(session, claim, ["สูติบัตร"], today, BY) == []
    assert documents_missing(session, claim) == ["สำเนาบัตรประชาชน"]
    # The documents are checked before who decides: the refusal names what is missing.
    chair = add_member(
        session, member.group, name="ประธาน", phone="0899990001", joined_on=member.joined_on
    )
    give_office(session, chair, Office.CHAIR, today, BY)
    with pytest.raises(ClaimRefused) as missing:
        decide_claim(session, claim, Actor.person(chair.id), True, today)
    assert missing.value.values == {"documents": "สำเนาบัตรประชาชน"}
    receive_documents(session, claim, ["สำเนาบัตรประชาชน"], today, BY)
    assert documents_missing(session, claim) == []
    assert len(session.scalars(select(ClaimDocument)).all()) == 2
    assert decide_claim(session, claim, Actor.person(chair.id), True, today).status == "paid"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("5/11/69", dt.date(2026, 11, 5)),
        ("5/11/2569", dt.date(2026, 11, 5)),
        ("05.11.2026", dt.date(2026, 11, 5)),
        ("5-11-26", dt.date(2026, 11, 5)),
        ("29/2/67", dt.date(2024, 2, 29)),
        ("29/2/69", None),
        ("32/1/69", None),
        ("5/13/69", None),
        ("5/11", None),
    ],
)
def test_event_dates_as_people_type_them(text, day):
    assert event_date(text) == day


@pytest.mark.parametrize(
    ("text", "units", "event", "error"),
    [
        ("เบิก 12 ป่วย 3 1/11/69", 3, dt.date(2025 + 1, 11, 1), None),
        ("เบิก 12 ศพ ๕/๑๑/๒๕๖๙", None, dt.date(2026, 11, 5), None),
        ("CLAIM 12 hospital", None, None, None),
        ("CLAIM 12 birth 1/1/70", None, dt.date(2027, 1, 1), None),
        ("CLAIM 12 hospital 3 31/2/69", None, None, "date"),
        ("CLAIM 12 hospital 3 4 1/1/69", None, None, "usage"),
        ("CLAIM 12 hospital 1/1/69 3", None, None, "usage"),
    ],
)
def test_claims_by_sms_carry_count_and_date(text, units, event, error):
    parsed = parse(text)
    if error:
        assert parsed.error == error
    else:
        assert (parsed.units, parsed.event) == (units, event)


# -- by SMS: refusals in the sender's language, nothing written ------------------------


@pytest.fixture
def bank(db, fund, today):
    """BANNA's members paid a year ahead, a short wait, money in the bank, the schedule above."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        for who in ("member", "member_en"):
            person = session.get(Member, fund[who][0])
            person.joined_on = today - dt.timedelta(days=60)
            give(session, person, 400, today, f"ahead:{who}")
        add_funds(session, group, Source.CODI_SEED, 1_000_000, today, "seed", by=BY)
        store_schedule(session, group, SCHEDULE)
    return fund


def _nothing_written(db):
    with db.transaction() as session:
        assert session.scalars(select(Claim)).all() == []
        statuses = session.scalars(select(Member.status)).all()
        assert set(statuses) == {"active"}


@pytest.mark.parametrize(
    ("sender", "text", "reply"),
    [
        ("collector", "เบิก 4 ป่วย", "บอกจำนวนคืนด้วยค่ะ เช่น เบิก 12 ป่วย 3"),
        ("collector", "เบิก 4 ศพ", "บอกวันที่เสียชีวิตด้วยค่ะ เช่น เบิก 12 ทำศพ 5/11/69"),
        ("collector", "เบิก 4 ป่วย 2 31/2/69", "วันที่ไม่ถูกต้อง ส่งแบบ วัน/เดือน/ปี เช่น 5/11/69 ค่ะ"),
        ("collector2", "CLAIM 4 hospital", "Say how many nights, e.g. CLAIM 12 hospital 3"),
    ],
)
def test_refusals_say_why_in_the_senders_language(client, db, bank, sender, text, reply):
    assert send(client, bank[sender][2], text).get_data(as_text=True) == reply
    _nothing_written(db)


def test_late_early_and_before_joining_by_sms(client, db, bank, today):
    def claim(event, benefit="ป่วย 2"):
        text = f"เบิก {bank['member'][1]} {benefit} {event.day}/{event.month}/{event.year + 543}"
        return send(client, bank["collector"][2], text).get_data(as_text=True)

    assert claim(today - dt.timedelta(days=31)) == ("ต้องยื่นขอภายใน 30 วันหลังเกิดเหตุ เกินกำหนดแล้วค่ะ")
    assert claim(today + dt.timedelta(days=1)) == "วันที่เกิดเหตุยังไม่ถึง ตรวจวันที่แล้วส่งใหม่ค่ะ"
    assert claim(today - dt.timedelta(days=61)).startswith("เกิดเหตุก่อนเป็นสมาชิก")
    _nothing_written(db)
    assert claim(today - dt.timedelta(days=30)).startswith("ยื่นแล้ว 200 บ. #")


def test_funeral_by_sms_ends_membership_and_waits_for_the_death_certificate(
    client, db, bank, today
):
    died = today - dt.timedelta(days=1)
    text = f"เบิก {bank['member'][1]} ศพ {died.day}/{died.month}/{died.year + 543 - 2500}"
    filed = send(client, bank["collector"][2], text)
    assert filed.get_data(as_text=True).startswith("ยื่นแล้ว 2,000 บ. #")
    assert filed.get_data(as_text=True).endswith("ขาด มรณบัตร")
    ref = claim_ref(filed)
    with db.transaction() as session:
        member = session.get(Member, bank["member"][0])
        assert (member.status, member.status_on) == ("deceased", died)
    refused = send(client, bank["treasurer"][2], f"APPROVE {ref}").get_data(as_text=True)
    assert refused == "ยังขาดเอกสาร: มรณบัตร รับครบก่อนจึงอนุมัติได้ค่ะ"
    with db.transaction() as session:
        assert session.scalars(select(Claim.status)).one() == "filed"
        assert session.scalars(select(Transfer).where(Transfer.code == "welfare")).all() == []
