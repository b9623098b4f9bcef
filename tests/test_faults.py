"""Faults a deployment meets; each test starts and stops its own server processes.

A storm of repeated callbacks across two gateway processes; Redis stopped in the middle
of USSD traffic; PostgreSQL stopped under the gateway. The machine's shared services
are never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from bench.harness import free_port
from gateway.app import create_app
from models.audit import check_ledger
from models.base import utcnow
from models.ledger import Transfer
from models.outbox import OutboundMessage
from workers import runtime
from workers.outbox import sweep_outbox

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def wait_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def post(port: int, path: str, form: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# -- a storm across two gateway processes -------------------------------------------


@pytest.fixture
def two_gateways(settings, db, fund):
    """Two gunicorn processes (one worker each) on the test's database and Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SATJA_INSTANCE_PATH": str(settings.instance_path),
        "SATJA_SMS_PER_MINUTE": "1000000",
    }  # the storm comes from a few phones, on purpose: no per-phone SMS limit
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    ports, processes = [free_port(), free_port()], []
    for port in ports:
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    "1",
                    "--worker-class",
                    "gthread",
                    "--threads",
                    "4",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                    "gateway:create_app()",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
    for port in ports:
        wait_port(port)
    yield ports
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_storm_of_repeated_callbacks_posts_each_effect_once(db, fund, two_gateways):
    distinct = int(os.environ.get("SATJA_STORM_CALLBACKS", "10000")) * 4 // 5
    collectors = [fund["collector"][2], fund["collector2"][2]]
    numbers = [fund["member"][1], fund["member_en"][1]]
    # Every fifth callback repeats an earlier one (the provider retrying), often on the
    # other process. The distinct ones say AGAIN: the same payment twice is meant.
    calls = []
    for i in range(distinct):
        calls.append(i)
        if i % 4 == 3:
            calls.append(i - 2)
    errors, lock = [], threading.Lock()

    def worker(offset: int) -> None:
        for n, i in enumerate(calls[offset::8]):
            port = two_gateways[(n + offset) % 2]
            status, _ = post(
                port,
                "/sms/inbound",
                {
                    "from": collectors[i % 2],
                    "to": "4567",
                    "text": f"PAY {numbers[i % 2]} 1 AGAIN",
                    "id": f"storm-{i}",
                    "date": "2026-11-16 10:30:00",
                },
            )
            if status != 200:
                with lock:
                    errors.append(status)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(calls) == distinct * 5 // 4
    with db.transaction() as session:
        posted = session.scalar(select(func.count()).select_from(Transfer))
        total = session.scalar(select(func.sum(Transfer.amount)))
        assert (posted, total) == (distinct, distinct * 100)
        assert check_ledger(session).ok


# -- Redis stopped during USSD traffic -----------------------------------------------


def start_redis(port: int, directory: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            directory,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return process


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")
def test_redis_stopped_mid_traffic_the_menu_goes_on_and_sms_follow(settings, db, fund, tmp_path):
    port = free_port()
    own = settings.with_(redis_url=f"redis://127.0.0.1:{port}/0")
    redis = start_redis(port, str(tmp_path))
    app = create_app(own)
    client = app.test_client()
    phone = fund["member"][2]

    def hop(text: str) -> str:
        form = {"sessionId": "r-1", "serviceCode": "*1234#", "phoneNumber": phone, "text": text}
        response = client.post("/ussd", data=form)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    try:
        assert hop("").startswith("CON 1 ยอดสัจจะ")
        assert hop("2").startswith("CON ส่งให้ผู้เก็บเงินแล้วกี่บาท")
        redis.terminate()
        redis.wait(timeout=10)
        assert hop("2*30").startswith("CON ให้ผู้เก็บคนไหน")
        assert hop("2*30*1").startswith("CON ตั้งรหัส PIN")
        assert hop("2*30*1*2580").startswith("CON ใส่รหัส PIN อีกครั้ง")
        assert hop("2*30*1*2580*2580").startswith("CON แจ้งส่งสัจจะ 30 บ.")
        assert hop("2*30*1*2580*2580*1").startswith("END แจ้งแล้ว #")
        reply = client.post(
            "/sms/inbound",
            data={
                "from": fund["collector"][2],
                "id": "r-sms",
                "text": f"PAY {fund['member'][1]} 30",
            },
        )
        assert reply.status_code == 200 and "รับสัจจะ 30 บ." in reply.get_data(as_text=True)
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Transfer)) == 2
            waiting = session.scalars(select(OutboundMessage.id)).all()
        assert len(waiting) >= 3  # the collector's notice, the receipt, the reply
        redis = start_redis(port, str(tmp_path))  # Redis is back
        rt = runtime.install(own)
        try:
            assert sweep_outbox(utcnow() + dt.timedelta(minutes=2)) >= 3
            SimpleWorker([Queue("sms", connection=rt.redis)], connection=rt.redis).work(burst=True)
        finally:
            runtime.uninstall()
        with db.transaction() as session:
            statuses = set(session.scalars(select(OutboundMessage.status)))
        assert statuses <= {"sent", "delivered"}  # none left queued or failed
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        app.extensions["satja.db"].dispose()


# -- PostgreSQL stopped under the gateway ----------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def pg(*args: str) -> None:
    """Run a PostgreSQL tool as the postgres user (initdb refuses root)."""
    command = [str(PG_BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture
def own_postgres():
    """A private PostgreSQL cluster on a free port, in a temp directory."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("needs PostgreSQL 15's server binaries")
    root = Path(tempfile.mkdtemp(prefix="satja-pg-"))
    shutil.chown(root, "postgres") if os.geteuid() == 0 else None
    data, port = root / "data", free_port()
    pg("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start() -> None:
        pg("pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start")

    def stop() -> None:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")

    start()
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", start, stop
    stop()
    shutil.rmtree(root, ignore_errors=True)


def test_postgres_stopped_ussd_ends_politely_sms_get_503_then_it_resumes(
    settings, own_postgres, redis_conn
):
    from models import migrate
    from models.db import Database
    from models.offices import Office
    from models.registry import add_group, add_member

    url, start, stop = own_postgres
    own = settings.with_(database_url=url)
    database = Database(own)
    migrate.upgrade(database.engine)
    with database.transaction() as session:
        group = add_group(session, "PGDOWN", "ทดสอบ")
        add_member(session, group, name="ก", phone="0815550001", joined_on=dt.date(2026, 1, 1))
        add_member(
            session,
            group,
            name="ข",
            phone="0815550002",
            office=Office.COLLECTOR,
            joined_on=dt.date(2026, 1, 1),
        )
    database.dispose()
    app = create_app(own)
    client = app.test_client()
    hop = {"sessionId": "pg-1", "serviceCode": "*1234#", "phoneNumber": "0815550001"}
    assert client.post("/ussd", data={**hop, "text": ""}).get_data(as_text=True).startswith("CON")
    stop()
    try:
        # Behaviour, not speed: a polite END, not a 500 (how soon is bounded by the
        # engine's 2 s connect timeout, models/db.py; bench/ measures speed).
        answer = client.post("/ussd", data={**hop, "text": "1"})
        assert answer.status_code == 200 and answer.get_data(as_text=True).startswith("END ")
        sms = client.post(
            "/sms/inbound", data={"from": "0815550002", "id": "pg-sms", "text": "PAY 1 30"}
        )
        assert sms.status_code == 503
    finally:
        start()
    # Back by itself: the provider's retry of the same SMS now posts, once.
    retried = client.post(
        "/sms/inbound", data={"from": "0815550002", "id": "pg-sms", "text": "PAY 1 30"}
    )
    assert retried.status_code == 200 and "รับสัจจะ 30 บ." in retried.get_data(as_text=True)
    assert (
        client.post("/ussd", data={**hop, "sessionId": "pg-2", "text": "1"})
        .get_data(as_text=True)
        .startswith("CON ยอดสัจจะ 30 บ.")
    )
    database = Database(own)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == 1
        assert check_ledger(session).ok
    database.dispose()
    app.extensions["satja.db"].dispose()
