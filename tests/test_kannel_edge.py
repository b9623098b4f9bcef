"""Kannel without Kannel: raw get-url and dlr-url calls, sendsms answers, the settings.

Tables of what Kannel sends and answers, bad ones included; tests/test_kannel.py runs
the same paths against the real boxes.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import responses
from sqlalchemy import func, select

from config.settings import SettingsError, UnsafeSettings, load_settings, refuse_unsafe
from models.ledger import Transfer
from models.outbox import InboundMessage, MessageKind, OutboundMessage, Status, queue_sms
from workers import runtime
from workers.kannel import DLR_MASK
from workers.outbox import send_sms
from workers.sms_backends import PermanentSmsError, TransientSmsError

SENDSMS = "http://127.0.0.1:13013/cgi-bin/sendsms"
KANNEL_ENV = {
    "SATJA_SMS_BACKEND": "kannel",
    "KANNEL_SENDSMS_URL": SENDSMS,
    "KANNEL_USERNAME": "satja",
    "KANNEL_PASSWORD": "pw",
    "KANNEL_FROM": "SATJA",
    "KANNEL_DLR_URL": "https://satja.example.org/sms/kannel/delivery",
}


def ucs2(text: str) -> str:
    """Text as Kannel's %b gives a UCS-2 message: its UTF-16 bytes, URL-encoded."""
    return quote(text.encode("utf-16-be"), safe="")


def inbound(client, text="SUM", phone="0811000002", message_id="k-1", coding=0, **extra):
    body = quote(text, safe="") if coding == 0 else ucs2(text)
    query = f"id={message_id}&from={quote(phone)}&to=4567&time=1796080696&coding={coding}"
    query += f"&text={body}" + "".join(f"&{k}={v}" for k, v in extra.items())
    return client.get(f"/sms/kannel/inbound?{query}")


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.clock  # posts on, or answers with, the business day
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("id=k1&from=0811000002&to=4567&time=1796080696&coding=0&text=SUM", 200),
        ("id=k1&from=66811000002&coding=0&text=SUM", 200),  # SMPP international, no plus
        ("id=k1&from=%2B66811000002&text=", 200),  # a blank SMS gets a reply
        ("id=k1&from=0811000002&coding=2&text=%0E", 400),  # half a UCS-2 character
        ("id=k1&from=0811000002&coding=0&text=%FF%FE", 400),  # not UTF-8
        ("id=k1&from=0811000002&coding=7&text=SUM", 400),
        ("id=k1&from=0811000002&time=yesterday&text=SUM", 400),
        ("id=k1&from=0811000002&time=99999999999999999999&text=SUM", 400),  # overflows
        ("id=k1&from=0811000002&time=253402300800&text=SUM", 400),  # past the year 9999
        ("from=0811000002&text=SUM", 400),
        ("id=k1&text=SUM", 400),
        ("id=k1&from=0811000002", 400),
        ("id=" + "k" * 101 + "&from=0811000002&text=SUM", 400),
        ("id=k1&from=0811000002&text=" + "A" * 4001, 400),
    ],
)
def test_inbound_calls(client, db, fund, query, code):
    response = client.get(f"/sms/kannel/inbound?{query}")
    assert response.status_code == code, response.text
    assert count(db, InboundMessage) == (1 if code == 200 else 0)
    if code == 200:
        assert response.text == ""  # the reply goes through the outbox, never this body
        assert count(db, OutboundMessage) == 1


@pytest.mark.clock  # posts on, or answers with, the business day
def test_a_thai_pay_posts_and_its_reply_and_receipt_wait_in_the_outbox(client, db, fund):
    member = fund["member"][1]
    response = inbound(client, f"จ่าย {member} 30 ภ", coding=2)  # ends in ภ: 0x0E 0x20
    assert response.status_code == 200
    with db.transaction() as session:
        assert session.scalars(select(InboundMessage.text)).one() == f"จ่าย {member} 30 ภ"
        assert session.scalar(select(func.count()).select_from(Transfer)) == 0  # not a PAY
    response = inbound(client, f"จ่าย{member} 30", message_id="k-2", coding=2)
    with db.transaction() as session:
        (transfer,) = session.scalars(select(Transfer)).all()
        assert transfer.amount == 3000
        sent_to = sorted(m.to_phone for m in session.scalars(select(OutboundMessage)))
    assert sent_to[-2:] == ["+66811000002", "+66811000004"]  # the reply and the receipt


@pytest.mark.clock  # posts on, or answers with, the business day
def test_a_repeated_kannel_id_posts_once_and_another_sender_gets_409(client, db, fund):
    member = fund["member"][1]
    assert inbound(client, f"PAY {member} 30", message_id="same").status_code == 200
    assert inbound(client, f"PAY {member} 30", message_id="same").status_code == 200
    assert count(db, Transfer) == 1
    assert count(db, OutboundMessage) == 2
    other = inbound(client, f"PAY {member} 30", phone="0811000003", message_id="same")
    assert other.status_code == 409
    assert count(db, Transfer) == 1


def test_the_token_guards_both_routes(app, client, db, fund):
    app.config["SATJA"] = app.config["SATJA"].with_(callback_token="t" * 24)
    assert inbound(client).status_code == 403
    assert inbound(client, token="wrong").status_code == 403
    assert inbound(client, token="t" * 24).status_code == 200
    assert client.get("/sms/kannel/delivery?outbox=1&status=1").status_code == 403


@pytest.mark.parametrize(
    ("query", "code", "status", "reason"),
    [
        ("status=8&answer=ACK%2F&smsc_id=", 200, "submitted", None),
        ("status=1&answer=&smsc_id=abc-1", 200, "delivered", None),
        ("status=4&answer=", 200, "buffered", None),
        ("status=2&answer=NACK%2F0x0000000b%2FInvalid+Destination", 200, "failed", "NACK"),
        ("status=16&answer=NACK%2F0x00000045", 200, "rejected", "NACK"),
        ("status=3", 400, "sent", None),
        ("status=%d", 400, "sent", None),  # a dlr-url Kannel did not fill in
        ("status=", 400, "sent", None),
    ],
)
def test_delivery_reports(client, db, query, code, status, reason):
    with db.transaction() as session:
        message = queue_sms(session, "+66811000004", "ทดสอบ", MessageKind.NOTICE)
        message.status = Status.SENT.value
        message_id = message.id
    response = client.get(f"/sms/kannel/delivery?outbox={message_id}&{query}")
    assert response.status_code == code
    with db.transaction() as session:
        message = session.get(OutboundMessage, message_id)
        assert message.status == status
        assert (message.failure_reason or "").startswith(reason or "")
        assert bool(message.failure_reason) == bool(reason)
        assert message.provider_id == ("abc-1" if "abc-1" in query else None)


@pytest.mark.parametrize("query", ["outbox=x&status=1", "status=1", "outbox=99999&status=1"])
def test_a_report_for_no_message_of_ours_changes_nothing(client, db, query):
    response = client.get(f"/sms/kannel/delivery?{query}")
    assert response.status_code == (200 if "99999" in query else 400)
    assert count(db, OutboundMessage) == 0


@pytest.fixture
def kannel_rt(settings, redis_conn):
    """The job runtime with the Kannel backend (its HTTP intercepted)."""
    kannel = settings.with_(
        sms_backend="kannel",
        callback_token="t" * 24,
        kannel_sendsms_url=SENDSMS,
        kannel_username="satja",
        kannel_password="pw",
        kannel_from="SATJA",
        kannel_smsc="operator",
        kannel_dlr_url="https://satja.example.org/sms/kannel/delivery",
    )
    yield runtime.install(kannel)
    runtime.uninstall()


def queued(db, text="ทดสอบ"):
    with db.transaction() as session:
        return queue_sms(session, "+66811000004", text, MessageKind.RECEIPT).id


def outbound(db, message_id):
    with db.transaction() as session:
        m = session.get(OutboundMessage, message_id)
        return m.status, m.failure_reason, m.attempts


@responses.activate
def test_sendsms_parameters(db, kannel_rt):
    responses.get(SENDSMS, body="0: Accepted for delivery", status=202)
    thai, english = queued(db, "รับ 30 บ. แล้วค่ะ"), queued(db, "Received 30 baht")
    assert send_sms(thai) == send_sms(english) == "sent"
    sent = [parse_qs(urlsplit(call.request.url).query) for call in responses.calls]
    assert sent[0]["text"] == ["รับ 30 บ. แล้วค่ะ"] and sent[0]["charset"] == ["UTF-8"]
    assert [s["coding"] for s in sent] == [["2"], ["0"]]  # UCS-2 for Thai, GSM-7 otherwise
    assert sent[0]["to"] == ["+66811000004"] and sent[0]["from"] == ["SATJA"]
    assert sent[0]["smsc"] == ["operator"] and sent[0]["dlr-mask"] == [str(DLR_MASK)]
    dlr = sent[0]["dlr-url"][0]
    assert dlr.startswith("https://satja.example.org/sms/kannel/delivery?")
    assert f"outbox={thai}" in dlr and "token=" + "t" * 24 in dlr
    assert "status=%d" in dlr and "smsc_id=%F" in dlr


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (202, "0: Accepted for delivery", "sent"),
        (202, "3: Queued for later delivery", "sent"),
        (403, "Authorization failed for sendsms", PermanentSmsError),
        (400, "Receiver number not valid", PermanentSmsError),
        (503, "Temporal failure, try again later.", TransientSmsError),
        (500, "", TransientSmsError),
        (200, "<html>a proxy's page</html>", TransientSmsError),
    ],
)
@responses.activate
def test_sendsms_answers(db, kannel_rt, status, body, outcome):
    responses.get(SENDSMS, body=body, status=status)
    message_id = queued(db)
    if outcome == "sent":
        assert send_sms(message_id) == "sent"
        assert outbound(db, message_id) == ("sent", None, 1)
    elif outcome is PermanentSmsError:
        assert send_sms(message_id) == "failed"  # final: no retry
        assert outbound(db, message_id)[:2] == ("failed", f"kannel {status}: {body}")
    else:
        with pytest.raises(TransientSmsError):  # RQ retries it with backoff
            send_sms(message_id)
        assert outbound(db, message_id)[0] == "queued"


@responses.activate
def test_a_timeout_is_retried(db, kannel_rt):
    responses.get(SENDSMS, body=requests.exceptions.ReadTimeout("slow"))
    message_id = queued(db)
    with pytest.raises(TransientSmsError, match="ReadTimeout"):
        send_sms(message_id)
    assert outbound(db, message_id)[0] == "queued"


def test_connection_refused_is_retried(db, kannel_rt):
    # Nothing listens on the port (a stopped Kannel): the real socket refuses.
    message_id = queued(db)
    with pytest.raises(TransientSmsError, match="ConnectionError"):
        send_sms(message_id)
    assert outbound(db, message_id)[:2] == ("queued", "kannel unreachable: ConnectionError")


@responses.activate
def test_a_report_that_beats_the_answer_is_kept(db, kannel_rt):
    message_id = queued(db)

    def delivered_first(request):  # Kannel's report arrives before sendsms has answered
        with db.transaction() as session:
            session.get(OutboundMessage, message_id).status = Status.DELIVERED.value
        return 202, {}, "0: Accepted for delivery"

    responses.add_callback(responses.GET, SENDSMS, callback=delivered_first)
    send_sms(message_id)
    assert outbound(db, message_id)[0] == "delivered"


def test_kannel_needs_its_settings():
    assert load_settings(KANNEL_ENV).sms_backend == "kannel"
    for name in ("KANNEL_SENDSMS_URL", "KANNEL_USERNAME", "KANNEL_PASSWORD", "KANNEL_FROM"):
        with pytest.raises(SettingsError, match=name):
            load_settings({**KANNEL_ENV, name: ""})
    with pytest.raises(SettingsError, match="KANNEL_DLR_URL"):
        load_settings({**KANNEL_ENV, "KANNEL_DLR_URL": "satja.example.org/dlr"})
    assert "pw" not in repr(load_settings(KANNEL_ENV))


def test_kannel_is_production_unless_development_is_said():
    assert load_settings(KANNEL_ENV).production
    with pytest.raises(UnsafeSettings, match="SATJA_SECRET_KEY"):
        refuse_unsafe(load_settings(KANNEL_ENV))
    development = load_settings({**KANNEL_ENV, "SATJA_ENV": "development"})
    assert not development.production and development.simulator_enabled


def test_the_simulator_works_with_kannel_set_for_development(settings, redis_conn, fund, db):
    from gateway import create_app

    env = {**KANNEL_ENV, "SATJA_ENV": "development", "DATABASE_URL": settings.database_url}
    env["SATJA_INSTANCE_PATH"] = str(settings.instance_path)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    app = create_app(load_settings(env))
    client = app.test_client()
    assert client.get("/simulator").status_code == 200
    response = client.post(
        "/sms/inbound", data={"from": "0811000004", "id": "sim-1", "text": "BAL"}
    )
    assert response.status_code == 200
    inbox = client.get("/simulator/inbox?phone=%2B66811000004").get_json()
    assert len(inbox["messages"] if isinstance(inbox, dict) else inbox) == 1
    app.extensions["satja.db"].dispose()
