"""A worker killed with SIGKILL in the middle of sending loses no message."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker

from models.outbox import MessageKind, OutboundMessage, queue_sms
from workers import runtime
from workers.outbox import enqueue_sends, sweep_outbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def silent_proxy():
    """An HTTPS proxy on loopback that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_sigkill_while_sending_loses_nothing(settings, db, redis_conn, silent_proxy):
    with db.transaction() as session:
        ids = [
            queue_sms(session, "+66811000004", f"ใบรับ {i}", MessageKind.RECEIPT).id
            for i in range(3)
        ]
    enqueue_sends(redis_conn, ids)

    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SATJA_INSTANCE_PATH": str(settings.instance_path),
        "SATJA_SMS_BACKEND": "africastalking",
        "AT_USERNAME": "satja",
        "AT_API_KEY": "test-key",
        "SATJA_SECRET_KEY": "s" * 32,  # a real backend means production: secrets required
        "SATJA_PIN_KEYS": "p" * 32,
        "SATJA_CALLBACK_TOKEN": "t" * 24,
        "HTTPS_PROXY": silent_proxy,
        "NO_PROXY": "",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "gateway", "worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def sending() -> bool:
        with db.transaction() as session:
            return session.get(OutboundMessage, ids[0]).status == "sending"

    try:
        assert wait_for(sending), "the worker never started sending"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    # The sweeper, a few minutes on, finds what the dead worker left and sends it.
    runtime.install(settings)
    try:
        # A few minutes after the dead worker last touched them, by the clock it wrote with
        # (a subprocess keeps the machine's time when this test runs at a frozen instant).
        with db.transaction() as session:
            touched = max(session.get(OutboundMessage, i).updated_at for i in ids)
        later = touched + dt.timedelta(minutes=10)
        sweep_outbox(now=later)
        queue = Queue("sms", connection=redis_conn)
        SimpleWorker([queue], connection=redis_conn).work(burst=True)
    finally:
        runtime.uninstall()
    with db.transaction() as session:
        statuses = [session.get(OutboundMessage, i).status for i in ids]
    assert statuses == ["delivered"] * 3
