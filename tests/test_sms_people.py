"""Declarations as people expect, a repeated PAY asked about, and who hears what, when."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from people import BY, add_login, declare, ref_of, send
from sqlalchemy import func, select

from models.base import utcnow
from models.disputes import Dispute
from models.ledger import Phase, Transfer, id_for_ref, resolution_of
from models.outbox import OutboundMessage

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def messages_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id)
        ).all()


def texts_to(db, phone):
    return [m.text for m in messages_to(db, phone)]


def transfers(db):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Transfer))


def test_a_member_withdraws_their_own_waiting_declaration(client, db, fund):
    ref = declare(db, fund)
    reply = send(client, fund["member"][2], f"NO {ref}").get_data(as_text=True)
    assert reply == f"ยกเลิกที่แจ้งส่ง #{ref} 30 บ. แล้วค่ะ"
    with db.transaction() as session:
        resolution = resolution_of(session, id_for_ref(ref))
        assert resolution.phase == Phase.VOID
        assert session.scalar(select(func.count()).select_from(Dispute)) == 0
    told = texts_to(db, fund["collector"][2])[-1]
    assert told == f"นางมาลี ({fund['member'][1]}) ยกเลิกแจ้งส่ง #{ref} 30 บ. แล้ว ไม่ต้องตอบ"
    # Withdrawn is withdrawn: neither the member again nor the collector's OK moves money.
    count = transfers(db)
    assert "ทำไปแล้ว" in send(client, fund["member"][2], f"NO {ref}").get_data(as_text=True)
    late = send(client, fund["collector"][2], f"OK {ref}").get_data(as_text=True)
    assert late == f"สมาชิกยกเลิก #{ref} ไปแล้ว ไม่มีอะไรเปลี่ยนค่ะ"
    assert transfers(db) == count


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member_en", "No entry"),  # somebody else's declaration: not theirs to withdraw
        ("member", "ยกเลิกที่แจ้งส่ง"),
    ],
)
def test_only_the_declarer_withdraws(client, db, fund, who, expected):
    ref = declare(db, fund)
    assert expected in send(client, fund[who][2], f"NO {ref}").get_data(as_text=True)


def test_a_confirmed_declaration_is_the_members_money(client, db, fund):
    ref = declare(db, fund)
    send(client, fund["collector"][2], f"OK {ref}")
    count = transfers(db)
    refused = send(client, fund["collector"][2], f"UNDO {ref}").get_data(as_text=True)
    assert refused == f"#{ref} สมาชิกแจ้งและยืนยันแล้ว ยกเลิกได้เฉพาะกรรมการ"
    assert transfers(db) == count
    # The member's NO on it now is a dispute for the committee, not a withdrawal.
    disputed = send(client, fund["member"][2], f"NO {ref}").get_data(as_text=True)
    assert disputed.startswith(f"รับเรื่องทักท้วง #{ref}")


def test_a_second_identical_pay_is_asked_about_not_posted(client, db, fund):
    collector, number = fund["collector"][2], fund["member"][1]
    first = ref_of(send(client, collector, f"PAY {number} 30"))
    count = transfers(db)
    asked = send(client, collector, f"PAY {number} 30").get_data(as_text=True)
    assert asked == f'ซ้ำกับ #{first} 30 บ. ไหม ถ้ารับอีกจริง ส่ง "รับ {number} 30 ซ้ำ"'
    assert transfers(db) == count
    # Another amount, another member, or the word AGAIN is a payment of its own.
    for text in (f"PAY {number} 60", f"PAY {fund['member_en'][1]} 30", f"จ่าย {number} 30 ซ้ำ"):
        assert send(client, collector, text).get_data(as_text=True).startswith("รับสัจจะ "), text
    assert transfers(db) == count + 3
    english = send(client, fund["collector2"][2], f"PAY {number} 30")
    again = send(client, fund["collector2"][2], f"PAY {number} 30").get_data(as_text=True)
    assert f"#{ref_of(english)}" in again and f"PAY {number} 30 AGAIN" in again


def test_a_repeat_pay_after_fifteen_minutes_or_an_undo_posts(client, db, fund):
    collector, number = fund["collector"][2], fund["member"][1]
    first = ref_of(send(client, collector, f"PAY {number} 30"))
    send(client, collector, f"UNDO {first}")
    assert send(client, collector, f"PAY {number} 30").get_data(as_text=True).startswith("รับสัจจะ ")
    with time_machine.travel(utcnow().replace(tzinfo=dt.UTC) + dt.timedelta(minutes=16)):
        later = send(client, collector, f"PAY {number} 30").get_data(as_text=True)
    assert later.startswith("รับสัจจะ 30 บ.")


def test_a_repeated_provider_id_stays_silent(client, db, fund):
    collector, number = fund["collector"][2], fund["member"][1]
    first = send(client, collector, f"PAY {number} 30", provider_id="same").get_data(as_text=True)
    count, outbox = transfers(db), len(texts_to(db, collector))
    assert (
        send(client, collector, f"PAY {number} 30", provider_id="same").get_data(as_text=True)
        == first
    )
    assert (transfers(db), len(texts_to(db, collector))) == (count, outbox)


@pytest.mark.parametrize(
    ("at", "waits"),
    [("2026-11-16T10:30:00+07:00", False), ("2026-11-16T22:30:00+07:00", True)],
)
def test_a_dispute_tells_the_treasurer_at_once_outside_quiet_hours(client, db, fund, at, waits):
    with time_machine.travel(dt.datetime.fromisoformat(at), tick=False):
        ref = ref_of(send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30"))
        send(client, fund["member"][2], f"NO {ref}")
        send(client, fund["member"][2], f"NO {ref}")  # the same dispute again: told once
    alerts = [m for m in messages_to(db, fund["treasurer"][2]) if "ทักท้วง" in m.text]
    number = fund["member"][1]
    assert [m.text for m in alerts] == [f"นางมาลี ({number}) ทักท้วง #{ref} 30 บ. ดูที่เรื่องต้องดู"]
    expected = dt.datetime(2026, 11, 17, 1, 0) if waits else None  # 08:00 Bangkok
    assert alerts[0].not_before == expected


def test_sum_for_the_treasurer_is_the_groups_day(client, db, fund):
    collector, number = fund["collector"][2], fund["member"][1]
    send(client, collector, f"PAY {number} 30")
    undone = ref_of(send(client, collector, f"PAY {number} 45"))
    send(client, collector, f"UNDO {undone}")
    send(client, fund["collector2"][2], f"PAY {fund['member_en'][1]} 90")
    confirmed = declare(db, fund, amount=2000)
    send(client, collector, f"OK {confirmed}")
    rejected = declare(db, fund, member="member_en", amount=1000)
    send(client, collector, f"NO {rejected}")
    disputed = ref_of(send(client, collector, f"PAY {fund['member_en'][1]} 10"))
    send(client, fund["member_en"][2], f"NO {disputed}")
    send(client, fund["treasurer"][2], f"RCV {fund['collector'][1]} 60")
    reply = send(client, fund["treasurer"][2], "สรุป").get_data(as_text=True)
    # Taken: 30 + 90 + 20 + 10 (the undone 45 and the rejected 10 never count); 150 - 60
    # handed over is still with collectors; open: the dispute.
    assert reply == "วันนี้รับ 4 ราย 150 บ. ผู้เก็บถือ 90 บ. ต้องดู 1"
    assert send(client, collector, "SUM").get_data(as_text=True) == (
        "วันนี้รับ 3 ราย 60 บ. เงินในมือ 0 บ. รอยืนยัน 0 ราย"
    )


@pytest.mark.parametrize(
    ("lang", "key", "values", "expected"),
    [
        ("en", "behind", {"days": 1}, "1 day behind"),
        ("en", "behind", {"days": 2}, "2 days behind"),
        ("en", "ahead", {"days": 1}, "1 day ahead"),
        (
            "en",
            "sum",
            {"count": 1, "amount": "30", "cash": "30", "pending": 0},
            "Today: 1 payment, 30 baht. Cash in hand 30 baht. Waiting for OK: 0",
        ),
        ("en", "claim_waiting", {"days": 1}, "The waiting period is not over: 1 more day"),
        (
            "en",
            "aging",
            {"count": 1, "days": 1, "ref": "01K7"},
            "1 payment waits for your OK, oldest 1 day, e.g. #01K7. Reply OK or NO with the ref",
        ),
        (
            "en",
            "meeting",
            {
                "since": "16 Oct 2026",
                "until": "15 Nov 2026",
                "members": 1,
                "amount": "30",
                "arrears": 1,
                "fund": "30",
                "open": 1,
            },
            "16 Oct 2026 to 15 Nov 2026: 1 member, 30 baht collected, 1 in arrears, "
            "fund 30 baht, 1 open issue",
        ),
        ("th", "behind", {"days": 1}, "ค้างส่ง 1 วัน"),
    ],
)
def test_singular_and_plural(lang, key, values, expected):
    from gateway.flows.texts import render

    assert render(lang, key, **values) == expected


def test_bal_says_one_day(client, db, fund):
    # 29 baht from 1 Jan covers to 29 Jan; on 30 Jan the member is 1 day behind.
    send(client, fund["collector"][2], f"PAY {fund['member_en'][1]} 29")
    with time_machine.travel(dt.datetime(2026, 1, 30, 12, tzinfo=dt.UTC)):
        reply = send(client, fund["member_en"][2], "BAL").get_data(as_text=True)
    assert reply.endswith("paid through 29 Jan 2026. 1 day behind")


def test_payment_history_is_by_business_date_then_reference(client, db, fund, today):
    from gateway.services.ussd_hop import recent_payments
    from models.ledger import Code, TransferSpec, create_transfer
    from models.registry import Member

    member_id, collector_id = fund["member"][0], fund["collector"][0]
    refs = []
    with db.transaction() as session:
        group_id = session.get(Member, member_id).group_id
        # Typed in this order: today's first, then two late entries of earlier days.
        for n, days_ago in enumerate((0, 2, 1)):
            refs.append(
                create_transfer(
                    session,
                    TransferSpec(
                        by=BY,
                        key=f"late-{n}",
                        group_id=group_id,
                        debit=f"collector_cash:{collector_id}",
                        credit=f"member:{member_id}",
                        amount=1000 * (n + 1),
                        code=Code.CONTRIBUTION,
                        business_date=today - dt.timedelta(days=days_ago),
                        member_id=member_id,
                        collector_id=collector_id,
                    ),
                ).transfer.ref
            )
        shown = [p.ref for p in recent_payments(session, session.get(Member, member_id))]
    assert shown == [refs[0], refs[2], refs[1]]


def test_the_dashboard_says_one_day(client, db, fund, today):
    import re

    from models.registry import Group, Member

    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_login(session, "anna", group, fund["member_en"][0], lang="en", name="Anna")
        # Joined yesterday and gave a day's baht: one day behind today.
        session.get(Member, fund["member_en"][0]).joined_on = today - dt.timedelta(days=1)
    send(client, fund["collector"][2], f"PAY {fund['member_en'][1]} 1")
    page = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    login = {"username": "anna", "password": "ลับมาก-secret-1", "csrf_token": csrf}
    client.post("/dashboard/login", data=login)
    page = client.get(f"/dashboard/g/BANNA/members/{fund['member_en'][1]}").get_data(as_text=True)
    assert re.search(r'data-figure="behind">1</b>day</div>', page), page
