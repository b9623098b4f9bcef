"""POST /sms/inbound with raw Africa's Talking payloads: every command, every refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, declare, send
from sqlalchemy import func, select

from models.clock import local_today
from models.disputes import Dispute
from models.ledger import (
    Account,
    Code,
    Transfer,
    TransferSpec,
    create_transfer,
    ref_for,
)
from models.outbox import InboundMessage, OutboundMessage
from models.registry import Member

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def balance(db, member_id):
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.key == f"member:{member_id}")).one()
        return account.credit_balance, account.credits_pending


def outbox(db):
    with db.transaction() as session:
        return [
            (m.to_phone, m.text, m.kind)
            for m in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]


def last_to(db, phone):
    return [m for m in outbox(db) if m[0] == phone][-1]


def transfers(db):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Transfer))


def test_pay_posts_receipts_the_member_and_replies_with_a_ref(client, db, fund):
    member_id, number, member_phone = fund["member"]
    response = send(client, fund["collector"][2], f"PAY {number} 90")
    assert response.status_code == 200
    reply = response.get_data(as_text=True)
    assert reply.startswith("รับสัจจะ 90 บ. จาก นางมาลี") and "#" in reply
    assert balance(db, member_id) == (9000, 0)
    messages = {m[2]: m for m in outbox(db)}
    assert len(outbox(db)) == 2
    assert messages["reply"] == (fund["collector"][2], reply, "reply")
    receipt = messages["receipt"][1]
    assert messages["receipt"][0] == member_phone
    # 90 baht from 1 Jan 2026 covers 90 days: paid through 31 March, in the Buddhist Era.
    assert "ส่งถึง 31 มี.ค. 2569" in receipt
    assert reply.split("#")[1] in receipt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAY {number} -30", "ใส่จำนวนเป็นบาทเต็ม"),
        ("PAY {number} 0", "ใส่จำนวนเป็นบาทเต็ม"),
        ("PAY {number} 30.50", "ใส่จำนวนเป็นบาทเต็ม"),
        ("PAY {number} สามสิบ", "ใส่จำนวนเป็นบาทเต็ม"),
        ("PAY {number} 999999999", "ไม่เกิน 365 บ."),
        ("PAY {number} 366", "ไม่เกิน 365 บ."),
        ("PAY 999 30", "ไม่พบสมาชิก 999"),
        ("PAY 0822000001 30", "ไม่พบสมาชิก 0822000001"),
        ("PAY somchai 30", "ส่งแบบนี้: PAY"),
        ("PAY {number}", "ส่งแบบนี้: PAY"),
        ("PAYMENT {number} 30", "ไม่เข้าใจ"),
        ("OK", 'ส่งแบบนี้: "OK'),
        ("OK #ZZZZ", "ไม่พบรายการ #ZZZZ"),
        ("UNDO 12", 'ส่งแบบนี้: "UNDO'),
        ("RCV 2 100", "เฉพาะเหรัญญิก"),
        ("PINRESET {number}", "เฉพาะเหรัญญิก ประธาน และเลขานุการค่ะ"),  # whoever may
    ],
)
def test_collector_mistakes_get_a_clear_reply_and_change_nothing(client, db, fund, text, expected):
    _, number, _ = fund["member"]
    response = send(client, fund["collector"][2], text.format(number=number))
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert transfers(db) == 0
    assert [m[2] for m in outbox(db)] == ["reply"]


@pytest.mark.parametrize(
    ("sender", "text", "expected"),
    [
        ("member", "PAY 1 30", "เฉพาะผู้เก็บเงิน"),
        ("member", "OK #0011", "เฉพาะผู้เก็บเงิน"),
        ("member", "UNDO #0011", "เฉพาะผู้เก็บเงิน"),
        ("member", "SUM", "เฉพาะผู้เก็บเงิน เหรัญญิก และประธานค่ะ"),
        ("member", "RCV 2 30", "เฉพาะเหรัญญิก"),
        ("member", "BAL 1", "เฉพาะผู้เก็บเงินและกรรมการ"),
        ("treasurer", "PAY 4 30", 'เฉพาะผู้เก็บเงิน เหรัญญิกส่ง "รับมอบ 4 30" ค่ะ'),
        ("outsider_collector", "PAY 4 30", "ไม่พบสมาชิก 4"),
        ("member_en", "PAY 4 30", "Only collectors"),
    ],
)
def test_authority(client, db, fund, sender, text, expected):
    response = send(client, fund[sender][2], text)
    assert expected in response.get_data(as_text=True)
    assert transfers(db) == 0


def test_thai_keyword_thai_digits_and_a_phone_in_any_spelling(client, db, fund):
    member_id, _, _ = fund["member"]
    response = send(client, fund["collector"][2], "  จ่าย   ๐๘๑-๑๐๐-๐๐๐๔   ๓๐ ")
    assert response.get_data(as_text=True).startswith("รับสัจจะ 30 บ. จาก นางมาลี")
    assert balance(db, member_id) == (3000, 0)


def test_a_repeated_message_id_changes_nothing_and_gets_the_same_reply(client, db, fund):
    _, number, _ = fund["member"]
    first = send(client, fund["collector"][2], f"PAY {number} 30", provider_id="ATXid_same")
    before = (transfers(db), outbox(db))
    again = send(client, fund["collector"][2], f"PAY {number} 30", provider_id="ATXid_same")
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert (transfers(db), outbox(db)) == before


@pytest.mark.parametrize(
    "form",
    [
        {"to": "4567", "text": "SUM", "id": "x1"},
        {"from": "+66811000002", "to": "4567", "id": "x2"},
        {"from": "+66811000002", "to": "4567", "text": "SUM"},
        {"from": "+66811000002", "text": "SUM", "id": "x5", "date": "16/11/2569"},
        # Dates a clock cannot hold in UTC: a 400, not a failure the provider retries.
        {"from": "+66811000002", "text": "SUM", "id": "x6", "date": "0001-01-01T00:00:00+01:00"},
        {"from": "+66811000002", "text": "SUM", "id": "x7", "date": "9999-12-31T23:59:59-01:00"},
        {},
    ],
)
def test_malformed_callbacks_are_400_and_store_nothing(client, db, fund, form):
    response = client.post("/sms/inbound", data=form)
    assert response.status_code == 400
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert outbox(db) == []


def test_a_blank_sms_gets_told_what_to_send(client, db, fund):
    response = send(client, fund["member"][2], "   ")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == 'ไม่เข้าใจข้อความ ส่ง "ช่วย" เพื่อดูวิธีใช้ค่ะ'
    assert transfers(db) == 0


@pytest.mark.parametrize("date", ["2026-11-16 10:30:00", "2026-11-16T03:30:00.000Z", ""])
def test_both_provider_date_formats(client, db, fund, date):
    response = send(client, fund["member"][2], "BAL", date=date)
    assert response.status_code == 200


def test_callback_token(app, client, db, fund):
    app.config["SATJA"] = app.config["SATJA"].with_(callback_token="s3cret")
    form = {"from": fund["member"][2], "text": "BAL", "id": "tok-1"}
    assert client.post("/sms/inbound", data=form).status_code == 403
    assert client.post("/sms/inbound?token=wrong", data=form).status_code == 403
    assert client.post("/sms/delivery", data={"id": "x", "status": "Success"}).status_code == 403
    assert outbox(db) == []
    assert client.post("/sms/inbound?token=s3cret", data=form).status_code == 200


def test_unknown_numbers_get_one_polite_reply_a_day(client, db, fund):
    first = send(client, "+66899999999", "PAY 1 30")
    assert "ยังไม่ได้ลงทะเบียน" in first.get_data(as_text=True)
    assert "not registered" in first.get_data(as_text=True)
    send(client, "+66899999999", "hello?")
    assert len(outbox(db)) == 1
    assert transfers(db) == 0


@pytest.mark.parametrize("sender", ["hello", "1900", "AIS"])
def test_a_sender_that_is_no_mobile_number_is_recorded_but_not_answered(client, db, sender):
    response = send(client, sender, "PAY 1 30")
    assert response.status_code == 200
    assert outbox(db) == [] and transfers(db) == 0
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_ok_confirms_a_declaration_once(client, db, fund):
    ref = declare(db, fund)
    assert balance(db, fund["member"][0]) == (0, 3000)
    other = send(client, fund["collector2"][2], f"OK {ref}")
    assert f"No entry #{ref}" in other.get_data(as_text=True)
    response = send(client, fund["collector"][2], f"OK #{ref}")
    assert response.get_data(as_text=True).startswith("ยืนยันสัจจะ 30 บ. ของ นางมาลี")
    assert balance(db, fund["member"][0]) == (3000, 0)
    receipt = last_to(db, fund["member"][2])
    assert ref in receipt[1] and receipt[2] == "receipt"
    again = send(client, fund["collector"][2], f"ok {ref.lower()}")
    assert again.get_data(as_text=True) == f"รายการ #{ref} ยืนยันไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ"
    assert balance(db, fund["member"][0]) == (3000, 0)


def test_no_rejects_a_declaration_and_tells_the_member(client, db, fund):
    ref = declare(db, fund, member="member_en")
    response = send(client, fund["collector"][2], f"NO {ref}")
    assert response.get_data(as_text=True).startswith(f"ไม่รับรายการ #{ref}")
    assert balance(db, fund["member_en"][0]) == (0, 0)
    assert "did not confirm" in last_to(db, fund["member_en"][2])[1]
    late = send(client, fund["collector"][2], f"OK {ref}").get_data(as_text=True)
    assert late == f"รายการ #{ref} ไม่ยืนยันไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ"  # says what became of it


def test_a_member_disputes_a_receipt(client, db, fund):
    _, number, phone = fund["member"]
    reply = send(client, fund["collector"][2], f"PAY {number} 30").get_data(as_text=True)
    ref = reply.split("#")[1]
    response = send(client, phone, f"NO {ref}")
    assert "ทักท้วง" in response.get_data(as_text=True)
    send(client, phone, f"NO {ref}")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Dispute)) == 1
    # Somebody else's receipt is not theirs to dispute.
    assert "No entry" in send(client, fund["member_en"][2], f"NO {ref}").get_data(as_text=True)
    assert balance(db, fund["member"][0]) == (3000, 0)


def test_undo_reverses_own_entry_of_today_once(client, db, fund):
    _, number, phone = fund["member"]
    ref = send(client, fund["collector"][2], f"PAY {number} 60").get_data(as_text=True)
    ref = ref.split("#")[1]
    refused = send(client, fund["collector2"][2], f"UNDO {ref}").get_data(as_text=True)
    assert f"No entry #{ref}" in refused
    response = send(client, fund["collector"][2], f"UNDO #{ref}")
    assert response.get_data(as_text=True).startswith(f"ยกเลิก #{ref} 60 บ.")
    assert balance(db, fund["member"][0]) == (0, 0)
    assert "ผู้เก็บเงินยกเลิก" in last_to(db, phone)[1]
    count = transfers(db)
    again = send(client, fund["collector"][2], f"UNDO {ref}")
    assert "ทำไปแล้ว" in again.get_data(as_text=True)
    assert transfers(db) == count


def test_undo_refuses_yesterday_and_cash_already_handed_over(client, db, fund):
    _, number, _ = fund["member"]
    yesterday_ref = declare(db, fund, day=local_today() - dt.timedelta(days=1))
    send(client, fund["collector"][2], f"OK {yesterday_ref}")
    # A confirmed declaration is the member's money: only the committee can reverse it.
    assert "ยกเลิกได้เฉพาะกรรมการ" in send(
        client, fund["collector"][2], f"UNDO {yesterday_ref}"
    ).get_data(as_text=True)
    with db.transaction() as session:
        old = create_transfer(
            session,
            TransferSpec(
                by=BY,
                key="old-pay",
                group_id=session.get(Member, fund["member"][0]).group_id,
                debit=f"collector_cash:{fund['collector'][0]}",
                credit=f"member:{fund['member'][0]}",
                amount=3000,
                code=Code.CONTRIBUTION,
                business_date=local_today() - dt.timedelta(days=1),
                member_id=fund["member"][0],
                collector_id=fund["collector"][0],
            ),
        )
        old_ref = old.transfer.ref
    assert "เฉพาะรายการของท่านที่ทำวันนี้" in send(
        client, fund["collector"][2], f"UNDO {old_ref}"
    ).get_data(as_text=True)
    ref = send(client, fund["collector"][2], f"PAY {number} 30").get_data(as_text=True)
    ref = ref.split("#")[1]
    # In hand: 30 declared and confirmed, 30 of yesterday, 30 now; 70 handed over.
    send(client, fund["treasurer"][2], f"RCV {fund['collector'][1]} 70")
    refused = send(client, fund["collector"][2], f"UNDO {ref}").get_data(as_text=True)
    assert "ส่งมอบเหรัญญิกไปแล้ว" in refused


def test_sum_counts_the_collectors_day(client, db, fund):
    _, number, _ = fund["member"]
    send(client, fund["collector"][2], f"PAY {number} 30")
    send(client, fund["collector"][2], f"PAY {fund['member_en'][1]} 90")
    declare(db, fund)
    response = send(client, fund["collector"][2], "สรุป")
    assert response.get_data(as_text=True) == "วันนี้รับ 2 ราย 120 บ. เงินในมือ 120 บ. รอยืนยัน 1 ราย"


def test_rcv_records_a_hand_over_within_the_cash_in_hand(client, db, fund):
    _, number, _ = fund["member"]
    send(client, fund["collector"][2], f"PAY {number} 100")
    collector_no = fund["collector"][1]
    too_much = send(client, fund["treasurer"][2], f"RCV {collector_no} 101")
    assert "มีเงินในมือ 100 บ. ไม่พอ 101 บ." in too_much.get_data(as_text=True)
    count = transfers(db)
    assert transfers(db) == count
    response = send(client, fund["treasurer"][2], f"RCV {collector_no} 60")
    assert response.get_data(as_text=True).startswith("รับมอบจาก นายบุญมี")
    assert "เหลือ 40 บ." in response.get_data(as_text=True)
    assert "ส่งมอบเหรัญญิก 60 บ." in last_to(db, fund["collector"][2])[1]
    member_no = fund["member"][1]
    assert "ไม่ใช่ผู้เก็บเงิน" in send(client, fund["treasurer"][2], f"RCV {member_no} 1").get_data(
        as_text=True
    )


def test_the_same_hand_over_twice_is_asked_about_not_posted(client, db, fund):
    _, number, _ = fund["member"]
    send(client, fund["collector"][2], f"PAY {number} 100")
    collector_no = fund["collector"][1]
    first = send(client, fund["treasurer"][2], f"รับมอบ {collector_no} 30").get_data(as_text=True)
    ref = first.split("#")[1].split()[0]
    count = transfers(db)
    # A resend (a slow reply, a second officer) is asked about, and nothing moves.
    asked = send(client, fund["treasurer"][2], f"รับมอบ {collector_no} 30").get_data(as_text=True)
    assert asked == f'ซ้ำกับ #{ref} ไหม ถ้ารับมอบอีกจริง ส่ง "รับมอบ {collector_no} 30 ซ้ำ"'
    assert transfers(db) == count
    # Said again with ซ้ำ, it is a second hand-over; another amount is one at once.
    again = send(client, fund["treasurer"][2], f"รับมอบ {collector_no} 30 ซ้ำ")
    assert again.get_data(as_text=True).startswith("รับมอบจาก") and transfers(db) == count + 1
    other = send(client, fund["treasurer"][2], f"RCV {collector_no} 20").get_data(as_text=True)
    assert other.startswith("รับมอบจาก") and "เหลือ 20 บ." in other


def test_bal_for_members_and_for_collectors(client, db, fund):
    _, number, phone = fund["member"]
    send(client, fund["collector"][2], f"PAY {number} 30")
    own = send(client, phone, "ยอด").get_data(as_text=True)
    assert own.startswith("ยอดสัจจะ 30 บ. ส่งถึง 30 ม.ค. 2569 ค้างส่ง")
    other = send(client, fund["collector2"][2], f"BAL {number}").get_data(as_text=True)
    assert other.startswith("Malee") is False and f"(no. {number}) has given 30 baht" in other


def test_pinreset_by_the_treasurer(client, db, fund):
    member_id, number, phone = fund["member"]
    with db.transaction() as session:
        session.get(Member, member_id).pin_hash = "argon2-hash"
        session.get(Member, member_id).pin_tries = 2
    response = send(client, fund["treasurer"][2], f"PINRESET {number}")
    assert "ล้าง PIN ของ นางมาลี" in response.get_data(as_text=True)
    with db.transaction() as session:
        member = session.get(Member, member_id)
        assert member.pin_hash is None and member.pin_tries == 0
    assert "ล้างรหัส PIN" in last_to(db, phone)[1]


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("member", 'ส่ง "ยอด" ดูยอดสัจจะ'),
        ("collector", "รับ เลขที่ บาท"),
        ("treasurer", "รับมอบ"),
        ("member_en", "BAL = your balance"),
    ],
)
def test_help_fits_the_sender(client, fund, sender, expected):
    assert expected in send(client, fund[sender][2], "HELP").get_data(as_text=True)


def test_stop_turns_off_reminders_not_receipts(client, db, fund):
    member_id, number, phone = fund["member"]
    assert "งดข้อความเตือน" in send(client, phone, "หยุด").get_data(as_text=True)
    with db.transaction() as session:
        assert session.get(Member, member_id).reminders_opt_out
    send(client, fund["collector"][2], f"PAY {number} 30")
    assert last_to(db, phone)[2] == "receipt"
    send(client, phone, "START")
    with db.transaction() as session:
        assert not session.get(Member, member_id).reminders_opt_out


def test_references_in_replies_decode_to_the_transfer(client, db, fund):
    _, number, _ = fund["member"]
    reply = send(client, fund["collector"][2], f"PAY {number} 30").get_data(as_text=True)
    with db.transaction() as session:
        transfer = session.scalars(select(Transfer)).one()
    assert reply.endswith(f"#{ref_for(transfer.id)}")


def test_database_down_is_503_so_the_provider_retries(app, client):
    from models.db import Database

    gone = app.config["SATJA"].with_(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/satja?connect_timeout=2"
    )
    app.extensions["satja.db"].dispose()
    app.extensions["satja.db"] = Database(gone)
    response = client.post("/sms/inbound", data={"from": "+66811000004", "text": "BAL", "id": "d"})
    assert response.status_code == 503
    report = client.post("/sms/delivery", data={"id": "x", "status": "Success"})
    assert report.status_code == 503


def test_an_oversized_callback_is_413_not_a_retry(client, fund):
    response = client.post(
        "/sms/inbound", data={"from": "+66811000004", "id": "big", "text": "x" * 100_000}
    )
    assert response.status_code == 413
