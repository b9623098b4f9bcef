"""Commands typed the Thai way, through the real SMS desk: what they post, and what not."""

from __future__ import annotations

import pytest
from people import declare, send
from sqlalchemy import func, select

from models.ledger import Account, Transfer
from models.references import id_for_ref, old_ref_for

pytestmark = pytest.mark.clock  # posts on, or answers with, the business day


def transfers(db):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Transfer))


def given(db, member_id, pending=False):
    """What a member has given (or has waiting for an OK), in satang."""
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.key == f"member:{member_id}")).one()
        return account.credits_pending if pending else account.credit_balance


@pytest.mark.parametrize(
    "text",
    ["รับ {n} 30 บาท ค่ะ", "จ่าย{n} 30บ.", "PAY {n} 30 baht", "PAY #{n} 30 🙏", "รับ#{n} ๓๐ ครับ"],
)
def test_a_payment_typed_as_villagers_type_posts_once(client, db, fund, text):
    member_id, number, _ = fund["member"]
    reply = send(client, fund["collector"][2], text.format(n=number)).get_data(as_text=True)
    assert reply.startswith("รับสัจจะ 30 บ. จาก นางมาลี"), reply
    assert given(db, member_id) == 3000 and transfers(db) == 1


def test_the_hand_over_has_its_own_word(client, db, fund):
    number, collector_no = fund["member"][1], fund["collector"][1]
    send(client, fund["collector"][2], f"รับ {number} 100")
    reply = send(client, fund["treasurer"][2], f"ส่งมอบ{collector_no} 60 บาทค่ะ")
    assert reply.get_data(as_text=True).startswith("รับมอบจาก นายบุญมี"), reply.get_data(as_text=True)
    assert transfers(db) == 2


def test_a_treasurer_typing_the_old_hand_over_word_is_shown_the_new_one(client, db, fund):
    number, collector_no = fund["member"][1], fund["collector"][1]
    send(client, fund["collector"][2], f"รับ {number} 100")
    reply = send(client, fund["treasurer"][2], f"รับ {collector_no} 60").get_data(as_text=True)
    assert reply == f'"รับ" เฉพาะผู้เก็บเงิน เหรัญญิกส่ง "รับมอบ {collector_no} 60" ค่ะ'  # ready
    assert transfers(db) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("จ่าย {n} 30 40", "ส่งแบบนี้: จ่าย เลขที่ บาท เช่น จ่าย 12 30"),
        ("รับ {n}", "ส่งแบบนี้: รับ เลขที่ บาท"),
        ("ตกลง", 'ส่งแบบนี้: "ตกลง เลขรายการ" เช่น "ตกลง 12340"'),
        ("ไม่", 'ส่งแบบนี้: "ไม่ เลขรายการ"'),
        ("จ่าย {n} สามสิบ", "ใส่จำนวนเป็นบาทเต็ม"),
    ],
)
def test_usage_errors_name_the_word_typed_and_write_nothing(client, db, fund, text, expected):
    reply = send(client, fund["collector"][2], text.format(n=fund["member"][1]))
    assert expected in reply.get_data(as_text=True)
    assert transfers(db) == 0


def test_ok_glued_with_a_word_after_confirms(client, db, fund):
    ref = declare(db, fund)
    reply = send(client, fund["collector"][2], f"ตกลง{ref} ได้รับแล้วค่ะ 🙏")
    assert reply.get_data(as_text=True).startswith("ยืนยันสัจจะ 30 บ. ของ นางมาลี")
    assert given(db, fund["member"][0]) == 3000


def test_no_with_a_reason_rejects(client, db, fund):
    ref = declare(db, fund)
    reply = send(client, fund["collector"][2], f"ไม่ {ref} ยังไม่ได้รับเงิน")
    assert reply.get_data(as_text=True).startswith(f"ไม่รับรายการ #{ref}")
    assert given(db, fund["member"][0], pending=True) == 0
    assert given(db, fund["member"][0]) == 0


def test_references_are_digits_and_a_mistyped_one_names_nothing(client, db, fund):
    ref = declare(db, fund)
    assert ref.isdigit() and 5 <= len(ref) <= 7
    typo = ref[:-2] + str((int(ref[-2]) + 1) % 10) + ref[-1]
    reply = send(client, fund["collector"][2], f"OK {typo}")
    assert f"ไม่พบรายการ #{typo}" in reply.get_data(as_text=True)
    assert given(db, fund["member"][0]) == 0


def test_a_reference_issued_before_still_works_as_typed(client, db, fund):
    ref = declare(db, fund)
    old = old_ref_for(id_for_ref(ref))
    assert not old.isdigit() or len(old) == 4
    reply = send(client, fund["collector"][2], f"OK {old.lower()}")
    assert reply.get_data(as_text=True).startswith("ยืนยันสัจจะ 30 บ. ของ นางมาลี")
    assert given(db, fund["member"][0]) == 3000
