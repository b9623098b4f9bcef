"""POST /ussd and /ussd/events with raw Africa's Talking payloads."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from people import hop, walk
from sqlalchemy import func, select

from gateway import create_app
from gateway.services.ussd_hop import OTHER_PHONE
from models.ledger import Transfer
from models.offices import Office
from models.outbox import OutboundMessage
from models.registry import Member, Status, add_group, add_member
from models.ussd import UssdHop, UssdSessionEnd

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

JOINED = dt.date(2026, 1, 1)


@pytest.fixture
def people(db):
    with db.transaction() as session:
        group = add_group(session, "BANNA", "กองทุนบ้านนา")
        collector = add_member(
            session,
            group,
            name="นางวิไล ทองสุข",
            phone="0811000002",
            office=Office.COLLECTOR,
            joined_on=JOINED,
        )
        member = add_member(session, group, name="นางมาลี มีสุข", phone="0811000004", joined_on=JOINED)
        return {"collector": collector.phone, "member": member.phone, "member_id": member.id}


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_hop_is_the_main_menu_as_plain_text(client, people):
    status, body = hop(client, people["member"], "", "s-1")
    assert status == 200 and body.startswith("CON 1 ยอดสัจจะ")


def test_recording_a_payment_end_to_end(client, db, people):
    answers = walk(client, people["member"], ["2", "30", "1", "5807", "5807", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว #")
    ref = answers[-1].split("#")[1].split()[0]
    with db.transaction() as session:
        pending = session.scalars(select(Transfer)).one()
        assert (pending.phase, pending.amount, pending.ref) == ("pending", 3000, ref)
        message = session.scalars(select(OutboundMessage)).one()
        assert message.to_phone == people["collector"]
        assert f"ตกลง {ref}" in message.text and "มาลี" in message.text
    # The collector confirms by SMS; the member's history shows it confirmed.
    client.post("/sms/inbound", data={"from": people["collector"], "text": f"OK {ref}", "id": "x"})
    history = walk(client, people["member"], ["3"])[-1]
    assert "30 บ. ยืนยันแล้ว" in history


def test_a_repeated_hop_gets_the_same_screen_and_declares_once(client, db, people):
    inputs = ["2", "30", "1", "5807", "5807", "1"]
    answers = walk(client, people["member"], inputs, "ATUid_same")
    again = hop(client, people["member"], "*".join(inputs), "ATUid_same")[1]
    assert again == answers[-1]
    assert count(db, Transfer) == 1 and count(db, OutboundMessage) == 1


def test_two_gateway_processes_serve_one_session(settings, redis_conn, db, people):
    first, second = create_app(settings).test_client(), create_app(settings).test_client()
    inputs = ["2", "45", "1", "6194", "6194", "1"]
    answers = []
    for i in range(len(inputs) + 1):
        client = (first, second)[i % 2]
        answers.append(hop(client, people["member"], "*".join(inputs[:i]), "ATUid_two")[1])
    assert answers[-1].startswith("END แจ้งแล้ว #")
    assert count(db, Transfer) == 1


def test_three_wrong_pins_lock_for_thirty_minutes(client, db, people):
    walk(client, people["member"], ["6", "3958", "3958"])  # set the PIN
    answers = walk(client, people["member"], ["2", "30", "1", "9999", "8888", "7777"])
    assert "รหัส PIN ไม่ถูก" in answers[4] and "รหัส PIN ไม่ถูก" in answers[5]
    assert answers[-1].startswith("END ใส่รหัส PIN ผิด 3 ครั้ง")
    # Locked in a new session too, even with the right PIN; the balance still shows.
    assert walk(client, people["member"], ["2"])[-1].startswith("END ใส่รหัส PIN ผิด")
    assert walk(client, people["member"], ["1"])[-1].startswith("CON ยอดสัจจะ")
    with db.transaction() as session:
        member = session.get(Member, people["member_id"])
        assert member.pin_locked_until is not None
    assert count(db, Transfer) == 0


def test_twelve_wrong_pins_at_once_lock_after_the_third(app, db, people):
    walk(app.test_client(), people["member"], ["6", "3958", "3958"])  # set the PIN
    start = threading.Barrier(12)

    def wrong_pin(n):
        client = app.test_client()  # a client, a request and a database session each
        start.wait()
        return hop(client, people["member"], "2*30*1*9999", f"burst-{n}")[1]

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(wrong_pin, range(12)))
    wrong = [a for a in answers if a.startswith("CON รหัส PIN ไม่ถูก")]
    locked = [a for a in answers if a.startswith("END ใส่รหัส PIN ผิด 3 ครั้ง")]
    assert (len(wrong), len(locked)) == (2, 10), answers
    with db.transaction() as session:
        assert session.get(Member, people["member_id"]).pin_locked_until is not None


def test_a_session_belongs_to_the_phone_that_opened_it(client, db, people):
    victim, thief = people["member"], people["collector"]
    walk(client, victim, ["6", "3958", "3958"])  # the victim has a PIN
    # The victim opens a PIN change and passes the PIN check...
    for text in ("", "6", "6*3958"):
        hop(client, victim, text, "shared")
    with db.transaction() as session:
        before = session.get(Member, people["member_id"]).pin_hash
        hops = session.scalar(select(func.count()).select_from(UssdHop))
    # ...then another phone continues that session: it may neither see nor change anything.
    for text in ("6*3958", "6*3958*2690", "6*3958*2690*2690", ""):
        status, body = hop(client, thief, text, "shared")
        assert (status, body) == (200, OTHER_PHONE.format(code="*1234#"))
    with db.transaction() as session:
        assert session.get(Member, people["member_id"]).pin_hash == before
        assert session.scalar(select(func.count()).select_from(UssdHop)) == hops
    assert hop(client, victim, "6*3958*2690", "shared")[1].startswith("CON ใส่รหัส PIN อีกครั้ง")


def test_a_pin_verdict_holds_only_for_the_inputs_it_was_given(client, db, people):
    walk(client, people["member"], ["6", "3958", "3958"])  # the member has a PIN
    # The right PIN for 30 baht to collector 1, hop by hop...
    for text in ("", "2", "2*30", "2*30*1", "2*30*1*3958"):
        hop(client, people["member"], text, "forged")
    # ...then a text that does not extend it: another amount and a wrong PIN at that place.
    answer = hop(client, people["member"], "2*300*1*0000*1", "forged")[1]
    assert answer == OTHER_PHONE.format(code="*1234#")
    assert count(db, Transfer) == 0
    # The same session's own next input still works.
    assert hop(client, people["member"], "2*30*1*3958*1", "forged")[1].startswith("END แจ้งแล้ว #")


def test_a_new_pin_no_hop_of_ours_set_declares_nothing(client, db, people):
    # One forged hop with a new PIN typed twice and the confirmation, for a member without
    # a PIN: no payment, and no PIN either.
    answer = hop(client, people["member"], "2*20*1*1357*1357*1", "one-hop")[1]
    assert answer.startswith("END ") and "แจ้งแล้ว" not in answer
    assert count(db, Transfer) == 0 and count(db, OutboundMessage) == 0
    with db.transaction() as session:
        assert session.get(Member, people["member_id"]).pin_hash is None
    # Walked hop by hop, the same inputs set the PIN and declare.
    answers = walk(client, people["member"], ["2", "20", "1", "1357", "1357", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว #") and count(db, Transfer) == 1


def test_language_is_remembered(client, people):
    assert walk(client, people["member"], ["5", "2"])[-1] == "END English it is."
    assert walk(client, people["member"], [])[-1].startswith("CON 1 Balance")


def test_a_lapsed_member_sees_the_balance_and_can_still_pay(client, db, people):
    with db.transaction() as session:
        session.get(Member, people["member_id"]).status = Status.LAPSED.value
    assert walk(client, people["member"], ["1"])[-1].startswith("CON ยอดสัจจะ 0 บ.")
    answers = walk(client, people["member"], ["2", "30", "1", "5807", "5807", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว")


def test_an_unregistered_caller_gets_one_bilingual_end(client, db, people):
    status, body = hop(client, "+66899999999", "", "s-x")
    assert status == 200 and body.startswith("END ")
    assert "ลงทะเบียน" in body and "Not a member" in body


def test_balance_by_sms(client, db, people):
    answers = walk(client, people["member"], ["1", "1"])
    assert answers[-1].startswith("END ส่ง SMS")
    with db.transaction() as session:
        message = session.scalars(select(OutboundMessage)).one()
        assert message.to_phone == people["member"] and "ส่งถึง" in message.text


@pytest.mark.parametrize(
    "form",
    [
        {"serviceCode": "*1234#", "phoneNumber": "+66811000004", "text": ""},
        {"sessionId": "s", "serviceCode": "*1234#", "text": ""},
        {"sessionId": "s", "serviceCode": "*1234#", "phoneNumber": "+66811000004"},
        {},
    ],
)
def test_malformed_hops_are_400(client, form):
    assert client.post("/ussd", data=form).status_code == 400


@pytest.mark.parametrize(
    "text", ["*", "**", "abc", "1*" + "9" * 400, "๑", "2*๓๐", "1*98*98*98", "00", "0"]
)
def test_garbage_never_breaks_the_menu(client, db, people, text):
    status, body = hop(client, people["member"], text, f"g-{text[:20]}")
    assert status == 200 and body[:4] in ("CON ", "END ")
    assert count(db, Transfer) == 0


def test_callback_token(app, client, people):
    app.config["SATJA"] = app.config["SATJA"].with_(callback_token="s3cret")
    assert hop(client, people["member"], "", "t-1")[0] == 403
    assert hop(client, people["member"], "", "t-1", "?token=nope")[0] == 403
    events = client.post("/ussd/events", data={"sessionId": "t-1", "status": "Success"})
    assert events.status_code == 403
    assert hop(client, people["member"], "", "t-1", "?token=s3cret")[0] == 200


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (
            {
                "sessionId": "e1",
                "status": "Success",
                "input": "1*1",
                "durationInMillis": "5300",
                "hopsCount": "3",
                "phoneNumber": "+66811000004",
                "cost": "THB 0.10",
            },
            200,
        ),
        ({"sessionId": "e2", "status": "Failed", "errorMessage": "timeout"}, 200),
        ({"sessionId": "e3", "status": "Maybe"}, 400),
        ({"status": "Success"}, 400),
        ({"sessionId": "e4", "status": "Success", "durationInMillis": "soon"}, 400),
    ],
)
def test_session_end_notices(client, db, form, code):
    assert client.post("/ussd/events", data=form).status_code == code
    assert count(db, UssdSessionEnd) == (1 if code == 200 else 0)


def test_too_many_hops_in_a_minute_get_a_polite_end(client, db, people):
    answers = []
    while len(answers) < 61 and not (answers and answers[-1].startswith("END")):
        answers.append(hop(client, people["member"], "1", f"r-{len(answers)}")[1])
    # 30 a minute; if the minute turns during the test, the count starts again once.
    assert 30 <= len(answers) - 1 <= 60
    assert all(a.startswith("CON ") for a in answers[:-1])
    assert "wait a minute" in answers[-1]


def test_redis_down_does_not_stop_the_menu(app, client, db, people, settings):
    from gateway.extensions.redis import Broker

    app.extensions["satja.redis"] = Broker(settings.with_(redis_url="redis://127.0.0.1:1/0"))
    answers = walk(client, people["member"], ["2", "30", "1", "5807", "5807", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว #")
    with db.transaction() as session:
        message = session.scalars(select(OutboundMessage)).one()
        assert message.status == "queued"  # the sweeper sends it once Redis is back


def test_logs_never_hold_pins_or_full_phone_numbers(client, db, people, caplog):
    caplog.set_level("DEBUG")
    walk(client, people["member"], ["2", "30", "1", "4826", "4826", "1"])
    walk(client, people["member"], ["6", "4826", "7391", "7391"])
    client.post("/sms/inbound", data={"from": people["collector"], "text": "SUM", "id": "l1"})
    client.post("/sms/inbound", data={"from": "+66899999999", "text": "hi", "id": "l2"})
    text = caplog.text
    assert text, "the flows should log something"
    for secret in ("4826", "7391", "0811000004", "811000004", "811000002", "899999999"):
        assert secret not in text, secret
