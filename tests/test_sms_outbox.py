"""The outbox: sent only after commit, by jobs with fixed ids, through the real SDK."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
import responses
from rq import Queue, SimpleWorker
from sqlalchemy import select

from models.base import utcnow
from models.offices import Office
from models.outbox import MessageKind, OutboundMessage, Status, queue_sms, quiet_hours_start
from models.registry import add_group, add_member
from workers import runtime
from workers.outbox import MAX_ATTEMPTS, job_id, send_sms, sweep_outbox
from workers.relay import relay_all
from workers.sms_backends import AfricasTalkingBackend, TransientSmsError

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

AT_URL = "https://api.africastalking.com/version1/messaging"


@pytest.fixture
def rt(settings, redis_conn):
    """This process's job runtime on the test's database and Redis."""
    current = runtime.install(settings)
    yield current
    runtime.uninstall()


@pytest.fixture
def at_rt(settings, redis_conn):
    """The runtime with the Africa's Talking backend (its HTTP is intercepted)."""
    at = settings.with_(sms_backend="africastalking", at_username="satja", at_api_key="k")
    current = runtime.install(at, backend=AfricasTalkingBackend(at))
    yield current
    runtime.uninstall()


def queued(db, text="ทดสอบ", kind=MessageKind.RECEIPT, phone="+66811000004", now=None):
    with db.transaction() as session:
        return queue_sms(session, phone, text, kind, now=now).id


def status_of(db, message_id):
    with db.transaction() as session:
        message = session.get(OutboundMessage, message_id)
        return message.status, message.provider_id, message.failure_reason, message.attempts


def recipients(code, status="Success", message_id="ATXid_1"):
    return {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: THB 0.80",
            "Recipients": [
                {
                    "statusCode": code,
                    "number": "+66811000004",
                    "status": status,
                    "cost": "THB 0.80",
                    "messageId": message_id,
                    "messageParts": 1,
                }
            ],
        }
    }


def test_inbound_hands_over_and_the_relay_enqueues_jobs_with_fixed_ids(client, db, rt, redis_conn):
    with db.transaction() as session:
        group = add_group(session, "BANNA", "บ้านนา")
        add_member(
            session,
            group,
            name="ก",
            phone="0811000002",
            office=Office.COLLECTOR,
            joined_on=dt.date(2026, 1, 1),
        )
        add_member(session, group, name="ข", phone="0811000004", joined_on=dt.date(2026, 1, 1))
    response = client.post(
        "/sms/inbound", data={"from": "+66811000002", "text": "PAY 2 30", "id": "a1"}
    )
    assert response.status_code == 200
    with db.transaction() as session:
        ids = session.scalars(select(OutboundMessage.id)).all()
    queue = Queue("sms", connection=redis_conn)
    assert queue.job_ids == []  # the request made no job: it handed its messages over
    assert relay_all(redis_conn) == 2
    assert sorted(queue.job_ids) == sorted(job_id(i) for i in ids)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    assert [status_of(db, i)[0] for i in ids] == ["delivered", "delivered"]


def test_nothing_is_sent_for_work_that_rolled_back(db, rt, redis_conn):
    session = db.sessions()
    with session.begin():
        queue_sms(session, "+66811000004", "ไม่ควรส่ง", MessageKind.RECEIPT)
        session.rollback()
    later = utcnow() + dt.timedelta(hours=1)
    assert sweep_outbox(now=later) == 0
    with db.transaction() as session:
        assert session.scalars(select(OutboundMessage)).all() == []


def test_send_is_idempotent(db, rt):
    message_id = queued(db)
    assert send_sms(message_id) == "delivered"
    assert send_sms(message_id) == "skipped"
    assert status_of(db, message_id)[3] == 1


@responses.activate
def test_africastalking_success_stores_the_message_id(db, at_rt):
    responses.post(AT_URL, json=recipients(101, message_id="ATXid_abc"), status=201)
    message_id = queued(db, "กองทุนได้รับ 30 บ.")
    assert send_sms(message_id) == "sent"
    assert status_of(db, message_id)[:2] == ("sent", "ATXid_abc")
    sent = responses.calls[0].request
    assert sent.headers["apiKey"] == "k"
    form = dict(pair.split("=", 1) for pair in sent.body.split("&"))
    assert form["username"] == "satja" and form["to"] == "%2B66811000004"


@pytest.mark.parametrize(
    ("code", "status"),
    [(403, "InvalidPhoneNumber"), (405, "InsufficientBalance"), (406, "UserInBlacklist")],
)
@responses.activate
def test_africastalking_recipient_failures_are_final(db, at_rt, code, status):
    responses.post(AT_URL, json=recipients(code, status=status), status=201)
    message_id = queued(db)
    assert send_sms(message_id) == "failed"
    state, _, reason, _ = status_of(db, message_id)
    assert state == "failed" and str(code) in reason and status in reason


@responses.activate
def test_africastalking_http_401_is_retried_then_given_up(db, at_rt):
    # A wrong API key is fixed by the operator; until then messages wait, then fail.
    responses.post(AT_URL, body="The supplied authentication is invalid", status=401)
    message_id = queued(db)
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(TransientSmsError, match="authentication is invalid"):
            send_sms(message_id)
        assert status_of(db, message_id)[0] == "queued"
    assert send_sms(message_id) == "failed"
    state, _, reason, attempts = status_of(db, message_id)
    assert (state, attempts) == ("failed", MAX_ATTEMPTS) and "authentication" in reason


@responses.activate
def test_a_timeout_is_retried_then_sent(db, at_rt, redis_conn):
    responses.post(AT_URL, body=requests.exceptions.ReadTimeout("slow"))
    responses.post(AT_URL, json=recipients(100, message_id="ATXid_2"), status=201)
    message_id = queued(db)
    with pytest.raises(Exception, match="unreachable"):
        send_sms(message_id)
    assert status_of(db, message_id)[0] == "queued"
    assert send_sms(message_id) == "sent"
    assert status_of(db, message_id)[:2] == ("sent", "ATXid_2")
    assert status_of(db, message_id)[3] == 2


@responses.activate
def test_a_5xx_is_retried_through_rq(db, at_rt, redis_conn):
    responses.post(AT_URL, body="oops", status=503)
    responses.post(AT_URL, json=recipients(102), status=201)
    message_id = queued(db)
    from workers.outbox import enqueue_sends

    enqueue_sends(redis_conn, [message_id])
    queue = Queue("sms", connection=redis_conn)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    job = queue.fetch_job(job_id(message_id))
    assert job.get_status() == "scheduled"  # RQ holds it for the retry interval
    assert status_of(db, message_id)[0] == "queued"
    assert send_sms(message_id) == "sent"


@responses.activate
def test_an_unreadable_answer_is_retried(db, at_rt):
    responses.post(
        AT_URL, body=json.dumps({"SMSMessageData": {}}), status=201, content_type="text/plain"
    )
    message_id = queued(db)
    with pytest.raises(Exception, match="unreadable"):
        send_sms(message_id)
    assert status_of(db, message_id)[0] == "queued"


def test_the_sweeper_resends_lost_and_stuck_messages(db, rt, redis_conn):
    lost = queued(db)
    stuck = queued(db)
    with db.transaction() as session:
        session.get(OutboundMessage, stuck).status = Status.SENDING.value
    now = utcnow()
    assert sweep_outbox(now=now) == 0  # too fresh to call lost
    assert sweep_outbox(now=now + dt.timedelta(minutes=10)) == 2
    assert sweep_outbox(now=now + dt.timedelta(minutes=10)) == 0  # their jobs are queued
    queue = Queue("sms", connection=redis_conn)
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    assert status_of(db, lost)[0] == status_of(db, stuck)[0] == "delivered"


@pytest.mark.parametrize(
    ("local", "opens"),
    [
        ("2026-11-16 07:59", "2026-11-16 08:00"),
        ("2026-11-16 08:00", None),
        ("2026-11-16 19:59", None),
        ("2026-11-16 20:00", "2026-11-17 08:00"),
        ("2026-11-30 23:30", "2026-12-01 08:00"),
    ],
)
def test_quiet_hours(local, opens):
    bangkok = dt.timedelta(hours=7)
    now = dt.datetime.fromisoformat(local) - bangkok
    start = quiet_hours_start(now)
    expected = None if opens is None else dt.datetime.fromisoformat(opens) - bangkok
    assert start == expected


def test_reminders_wait_for_morning_and_skip_opted_out_members(db, rt):
    with db.transaction() as session:
        group = add_group(session, "BANNA", "บ้านนา")
        member = add_member(
            session, group, name="ข", phone="0811000004", joined_on=dt.date(2026, 1, 1)
        )
        # 22:00 in Bangkok, a few days from now: the reminder waits for 08:00 next day.
        day = utcnow().date() + dt.timedelta(days=3)
        night = dt.datetime.combine(day, dt.time(15, 0))
        reminder = queue_sms(
            session, member.phone, "เตือน", MessageKind.REMINDER, member=member, now=night
        )
        receipt = queue_sms(
            session, member.phone, "รับเงิน", MessageKind.RECEIPT, member=member, now=night
        )
        assert reminder.not_before == night + dt.timedelta(hours=10)
        assert receipt.not_before is None
        member.reminders_opt_out = True
        assert queue_sms(session, member.phone, "เตือน", MessageKind.REMINDER, member=member) is None
        assert (
            queue_sms(session, member.phone, "รับ", MessageKind.RECEIPT, member=member) is not None
        )
        reminder_id = reminder.id
    assert send_sms(reminder_id) == "skipped"  # not before 08:00


@pytest.mark.parametrize(
    ("form", "code", "status"),
    [
        ({"id": "ATXid_9", "status": "Success"}, 200, "delivered"),
        ({"id": "ATXid_9", "status": "Failed", "failureReason": "UserIsInactive"}, 200, "failed"),
        (
            {"id": "ATXid_9", "status": "Rejected", "failureReason": "DeliveryFailure"},
            200,
            "rejected",
        ),
        ({"id": "ATXid_9", "status": "Buffered", "retryCount": "1"}, 200, "buffered"),
        ({"id": "ATXid_9", "status": "Delivered"}, 400, "sent"),
        ({"id": "ATXid_9", "status": ""}, 400, "sent"),
        ({"status": "Success"}, 400, "sent"),
        ({"id": "ATXid_other", "status": "Success"}, 200, "sent"),
    ],
)
def test_delivery_reports(client, db, form, code, status):
    message_id = queued(db)
    with db.transaction() as session:
        message = session.get(OutboundMessage, message_id)
        message.status, message.provider_id = Status.SENT.value, "ATXid_9"
    response = client.post("/sms/delivery", data=form)
    assert response.status_code == code
    assert status_of(db, message_id)[0] == status


def test_a_late_report_does_not_undo_delivery(client, db):
    message_id = queued(db)
    with db.transaction() as session:
        message = session.get(OutboundMessage, message_id)
        message.status, message.provider_id = Status.SENT.value, "ATXid_9"
    client.post("/sms/delivery", data={"id": "ATXid_9", "status": "Success"})
    client.post("/sms/delivery", data={"id": "ATXid_9", "status": "Submitted"})
    assert status_of(db, message_id)[0] == "delivered"


def test_sms_outbox_command_lists_oldest_first(runner, db):
    first = queued(db, "แรก")
    queued(db, "สอง", phone="+66811000005")
    result = runner.invoke(args=["sms", "outbox", "--json"])
    rows = json.loads(result.output)
    assert [r["text"] for r in rows] == ["แรก", "สอง"]
    assert {"to", "text", "status"} <= rows[0].keys()
    one = json.loads(
        runner.invoke(args=["sms", "outbox", "--phone", "081-100-0005", "--json"]).output
    )
    assert [r["text"] for r in one] == ["สอง"]
    send_sms_ok = runner.invoke(args=["sms", "outbox", "--status", "delivered", "--json"])
    assert json.loads(send_sms_ok.output) == []
    assert first
