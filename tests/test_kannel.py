"""Satja against the real Kannel: Debian's bearerbox and smsbox, fakesmsc as the operator.

Each test starts its own boxes on free loopback ports from config/kannel/kannel.conf (the
sample operators copy), a live gateway for Kannel to call, and sends its outbox with an
RQ worker on the Kannel backend. Without Kannel these tests skip, saying why; under
CI=true they must run (.ci/run installs kannel and kannel-extras).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from urllib.parse import parse_qs

import pytest
from kannel_rig import INSTALLED, PASSWORD, USERNAME, Kannel, wait_for
from rq import Queue, SimpleWorker
from sqlalchemy import func, select
from werkzeug.serving import make_server

from models.ledger import Transfer
from models.outbox import InboundMessage, MessageKind, OutboundMessage, queue_sms
from workers import runtime
from workers.outbox import enqueue_sends
from workers.relay import relay_all

pytestmark = [
    pytest.mark.skipif(
        not INSTALLED and os.environ.get("CI") != "true",
        reason="Debian's kannel and kannel-extras are not installed "
        "(apt-get install kannel kannel-extras); CI installs them",
    ),
]
TOKEN = "kannel-callback-token-0123456789"


class LostAnswers:
    """The gateway as Kannel reaches it; it can lose the answer to a message once.

    Losing the answer after the gateway has committed is what makes smsbox send the
    same message (same id) again: the duplicate the desk must not post twice.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.lose_first = False
        self.calls: Counter[str] = Counter()

    def __call__(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        message = (query.get("id") or [""])[0]
        if environ["PATH_INFO"] == "/sms/kannel/inbound" and message:
            self.calls[message] += 1
            if self.lose_first and self.calls[message] == 1:
                self.app(environ, lambda *a, **k: None)  # the work is done and committed
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"lost\n"]
        return self.app(environ, start_response)


@pytest.fixture
def gateway(app, settings):
    """The app served on a loopback port, token required, for Kannel to call."""
    app.config["SATJA"] = app.config["SATJA"].with_(callback_token=TOKEN)
    front = LostAnswers(app)
    server = make_server("127.0.0.1", 0, front, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    front.url = f"http://127.0.0.1:{server.server_port}"
    yield front
    server.shutdown()
    thread.join()


@pytest.fixture
def kannel(tmp_path, gateway):
    """This test's Kannel, started, with the operator connected."""
    rig = Kannel(tmp_path / "kannel", gateway.url, TOKEN)
    rig.start()
    rig.connect()
    yield rig
    rig.stop()


@pytest.fixture
def worker(settings, kannel, gateway, redis_conn):
    """Send the outbox through Kannel, as the worker process does; returns a burst runner."""
    runtime.install(
        settings.with_(
            sms_backend="kannel",
            callback_token=TOKEN,
            kannel_sendsms_url=kannel.sendsms_url,
            kannel_username=USERNAME,
            kannel_password=PASSWORD,
            kannel_from="SATJA",
            kannel_smsc="operator",
            kannel_dlr_url=f"{gateway.url}/sms/kannel/delivery",
        )
    )
    queue = Queue("sms", connection=redis_conn)

    def burst() -> None:
        relay_all(redis_conn)  # what the gateway handed over, as `worker --burst` does
        SimpleWorker([queue], connection=redis_conn).work(burst=True, with_scheduler=True)

    yield burst
    runtime.uninstall()


def outbox(db):
    with db.transaction() as session:
        return [
            (m.id, m.to_phone, m.text, m.status, m.provider_id, m.failure_reason)
            for m in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.clock  # the PAY posts on the business day, the receipt names a date
def test_a_collectors_pay_reaches_the_ledger_and_the_receipt_comes_out_in_thai(
    db, fund, kannel, worker
):
    member = fund["member"][1]
    kannel.phone_sends("0811000002", f"PAY {member} 30")
    assert wait_for(lambda: count(db, InboundMessage) == 1), "Kannel did not call Satja"
    assert wait_for(lambda: len(outbox(db)) == 2)
    with db.transaction() as session:
        (transfer,) = session.scalars(select(Transfer)).all()
        assert (transfer.amount, transfer.member_id) == (3000, fund["member"][0])
    worker()
    messages = {phone: text for _, phone, text, *_ in outbox(db)}
    assert wait_for(lambda: len(kannel.received) == 2), kannel.received
    # What the phones got is exactly what the outbox holds: Thai, through UCS-2.
    for phone in ("+66811000002", "+66811000004"):
        assert kannel.to(phone) == [messages[phone]]
    assert "30 บ." in kannel.to("+66811000004")[0]
    assert {sender for sender, *_ in kannel.received} == {"SATJA"}


@pytest.mark.clock  # the balance names a paid-through date
def test_a_thai_command_arrives_whole(db, fund, kannel, worker):
    # The UCS-2 bytes of ยอด; a message ending in ภ would lose a byte through Kannel's %a.
    kannel.phone_sends("0811000004", "ยอด")
    assert wait_for(lambda: count(db, InboundMessage) == 1)
    with db.transaction() as session:
        assert session.scalars(select(InboundMessage.text)).one() == "ยอด"
    worker()
    assert wait_for(lambda: len(kannel.to("+66811000004")) == 1)
    assert "บ." in kannel.to("+66811000004")[0]


def test_delivery_reports_move_outbox_statuses(db, kannel, worker, redis_conn):
    long = "กองทุนสวัสดิการฯ บ้านนา: " + "ส่งสัจจะครบแล้วค่ะ " * 5  # two UCS-2 parts
    with db.transaction() as session:
        ids = [
            queue_sms(session, "+66811000004", long, MessageKind.NOTICE).id,
            queue_sms(session, "+66811000005", "Paid through 16 Nov 2026", MessageKind.NOTICE).id,
        ]
    enqueue_sends(redis_conn, ids)
    worker()
    # The fake SMSC takes each message (8, submitted) and delivers it (1, delivered).
    assert wait_for(lambda: [m[3] for m in outbox(db)] == ["delivered", "delivered"]), outbox(db)
    assert all(m[4] for m in outbox(db)), "the SMSC's message id is kept"
    assert wait_for(lambda: len(kannel.received) == 3), kannel.received
    assert len(kannel.to("+66811000004")) == 2  # Kannel split it; a phone joins the parts
    assert "".join(kannel.to("+66811000004")) == long
    assert kannel.to("+66811000005") == ["Paid through 16 Nov 2026"]


@pytest.mark.slow  # RQ's first retry interval is 5 s
def test_kannel_stopped_messages_wait_and_go_once_it_is_back(db, kannel, worker, redis_conn):
    kannel.stop()
    with db.transaction() as session:
        message_id = queue_sms(session, "+66811000004", "ทดสอบ", MessageKind.NOTICE).id
    enqueue_sends(redis_conn, [message_id])
    worker()
    ((_, _, _, status, _, reason),) = outbox(db)
    assert (status, reason) == ("queued", "kannel unreachable: ConnectionError")
    kannel.start()
    kannel.connect()

    def retried() -> bool:  # RQ holds the retry for its first interval (5 s), then sends
        worker()
        return outbox(db)[0][3] == "delivered"

    assert wait_for(retried, seconds=30, every=0.5), outbox(db)
    assert wait_for(lambda: kannel.to("+66811000004") == ["ทดสอบ"]), kannel.received


def test_operator_down_kannel_keeps_the_message_and_sends_it_on_reconnect(
    db, kannel, worker, redis_conn
):
    kannel.disconnect()
    with db.transaction() as session:
        message_id = queue_sms(session, "+66811000004", "ทดสอบ", MessageKind.NOTICE).id
    enqueue_sends(redis_conn, [message_id])
    worker()
    assert outbox(db)[0][3] == "sent"  # "3: Queued for later delivery": Kannel has it
    kannel.connect()
    assert wait_for(lambda: outbox(db)[0][3] == "delivered"), outbox(db)
    assert wait_for(lambda: kannel.to("+66811000004") == ["ทดสอบ"]), kannel.received


def test_a_duplicate_mo_posts_once(db, fund, kannel, worker, gateway):
    gateway.lose_first = True
    kannel.phone_sends("0811000002", f"PAY {fund['member'][1]} 30")
    # smsbox saw no answer, so it sent the same message (same id) again a second later.
    assert wait_for(lambda: sum(gateway.calls.values()) >= 2), gateway.calls
    assert len(gateway.calls) == 1
    assert count(db, InboundMessage) == 1
    assert count(db, Transfer) == 1
    worker()
    assert wait_for(lambda: len(kannel.received) == 2)
    assert len(kannel.to("+66811000004")) == 1  # one receipt
