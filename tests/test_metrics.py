"""/metrics: who may read it, what it counts, and that no label names a person."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from people import hop, send, walk
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, SimpleWorker
from sqlalchemy import select

from config.settings import load_settings
from gateway import create_app
from models.outbox import MessageKind, OutboundMessage, queue_sms
from models.registry import Member
from workers import runtime
from workers.outbox import SMS_QUEUE, enqueue_sends
from workers.reconcile import reconcile_night
from workers.schedule import tick

pytestmark = pytest.mark.clock
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-of-24-characters"
BOTH = {"SATJA_CALLBACK_TOKEN": TOKEN, "SATJA_METRICS_ALLOW": "10.9.0.0/16"}


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, query: str = "") -> dict[tuple[str, frozenset], float]:
    response = client.get(f"/metrics{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse(response.get_data(as_text=True))


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def rt(settings, redis_conn):
    """The job runtime of this process, on the test's database and Redis."""
    current = runtime.install(settings)
    yield current
    runtime.uninstall()


@pytest.mark.parametrize(
    ("env", "query", "address", "status"),
    [
        ({"SATJA_CALLBACK_TOKEN": TOKEN}, "", "127.0.0.1", 403),
        ({"SATJA_CALLBACK_TOKEN": TOKEN}, "?token=wrong", "127.0.0.1", 403),
        ({"SATJA_CALLBACK_TOKEN": TOKEN}, f"?token={TOKEN}", "127.0.0.1", 200),
        (BOTH, "", "10.9.3.4", 200),
        (BOTH, "", "10.8.3.4", 403),
        ({"SATJA_METRICS_ALLOW": "10.9.0.0/16"}, "", "10.8.3.4", 403),  # no token: the list alone
        ({}, "", "10.8.3.4", 200),  # development: neither configured
    ],
)  # fmt: skip
def test_metrics_only_with_the_token_or_from_an_allowed_network(
    database_url, embedded_redis, tmp_path, redis_conn, env, query, address, status
):
    base = {"DATABASE_URL": database_url, "SATJA_INSTANCE_PATH": str(embedded_redis or tmp_path)}
    if os.environ.get("REDIS_URL"):
        base["REDIS_URL"] = os.environ["REDIS_URL"]
    app = create_app(load_settings({**base, **env}))
    try:
        response = app.test_client().get(f"/metrics{query}", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == status
        if status == 200:
            assert b"satja_queue_jobs" in response.data
    finally:
        app.extensions["satja.db"].dispose()


def test_hops_and_commands_are_counted_by_outcome_and_no_label_names_a_person(client, db, fund):
    before = scrape(client)
    walk(client, fund["member"][2], ["1", "98", "0"])  # the first hop reads the database
    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30")
    send(client, fund["collector"][2], "PAY nobody")  # not understood
    send(client, "+66899999999", "BAL")  # a stranger
    client.post("/sms/delivery", data={"id": "ATXid_unknown", "status": "Failed",
                                       "failureReason": "UserInBlacklist"})  # fmt: skip
    text = client.get("/metrics").get_data(as_text=True)
    after = parse(text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("satja_ussd_hops_total", outcome="database") >= 1
    assert grew("satja_ussd_hops_total", outcome="snapshot") >= 1  # a later hop, from Redis
    assert grew("satja_sms_commands_total", command="pay", outcome="carried_out") == 1
    assert grew("satja_sms_commands_total", command="pay", outcome="not_understood") == 1
    assert grew("satja_sms_commands_total", command="none", outcome="unknown_sender") == 1
    assert grew("satja_sms_delivery_reports_total", status="failed") == 1
    assert grew("satja_sms_delivery_failures_total", reason="blacklisted") == 1
    assert grew("satja_http_requests_total", route="/sms/inbound", status="200") == 3
    assert grew("satja_http_request_duration_seconds_count", route="/ussd", method="POST") == 4
    # Names and labels only: a sample's value (a count, a timestamp) may hold any digits.
    labelled = re.sub(r" \S+$", "", text, flags=re.MULTILINE)
    with db.transaction() as session:
        people = session.scalars(select(Member)).all()
        for person in people:
            assert person.phone[-9:] not in labelled  # no number in any spelling
            assert person.name not in labelled
    assert "4567" not in labelled and "nobody" not in labelled


def test_the_outbox_backlog_and_queue_depth_show_until_a_worker_sends(
    client, db, rt, redis_conn, today
):
    with db.transaction() as session:
        ids = [queue_sms(session, "+66811000009", "ทดสอบ", MessageKind.NOTICE).id for _ in "ab"]
    enqueue_sends(redis_conn, ids)
    waiting = scrape(client)
    assert value(waiting, "satja_outbox_messages", status="queued") == 2
    assert value(waiting, "satja_queue_jobs", queue="sms") == 2
    assert value(waiting, "satja_workers", queue="sms") == 0
    SimpleWorker([Queue(SMS_QUEUE, connection=redis_conn)], connection=redis_conn).work(burst=True)
    sent = scrape(client)
    assert value(sent, "satja_outbox_messages", status="queued") == 0
    assert value(sent, "satja_outbox_oldest_due_seconds") == 0
    assert value(sent, "satja_queue_jobs", queue="sms") == 0
    assert value(sent, "satja_sms_sends_total", outcome="sent") == 2
    assert value(sent, "satja_dependency_up", part="database") == 1
    with db.transaction() as session:
        assert "queued" not in {m.status for m in session.scalars(select(OutboundMessage))}


def test_reconciliation_and_the_cron_leave_their_marks(client, db, fund, rt, today):
    before = scrape(client)
    assert value(before, "satja_reconcile_runs_total", result="ok") == 0
    assert ("satja_cron_last_tick_timestamp_seconds", frozenset()) not in before
    reconcile_night(today.isoformat())
    tick()
    after = scrape(client)
    assert value(after, "satja_reconcile_runs_total", result="ok") == 1
    assert value(after, "satja_reconcile_runs_total", result="failed") == 0
    assert value(after, "satja_reconcile_last_success_timestamp_seconds") > 0
    assert value(after, "satja_cron_last_tick_timestamp_seconds") > 0
    assert ("satja_reconcile_exceptions", frozenset({("kind", "declared")})) in after


def test_a_scrape_answers_with_redis_gone(database_url, tmp_path):
    app = create_app(
        load_settings({"DATABASE_URL": database_url, "SATJA_INSTANCE_PATH": str(tmp_path),
                       "REDIS_URL": "redis://127.0.0.1:1/0"})
    )  # fmt: skip
    try:
        samples = scrape(app.test_client())
        assert value(samples, "satja_dependency_up", part="redis") == 0
        assert value(samples, "satja_dependency_up", part="database") == 1
    finally:
        app.extensions["satja.db"].dispose()


def test_every_gunicorn_process_counts(settings, db, fund, tmp_path):
    """Two processes under the repo's gunicorn settings: a scrape adds both up."""
    from test_faults import free_port, wait_port

    port, folder = free_port(), tmp_path / "prom"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SATJA_INSTANCE_PATH": str(settings.instance_path),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_WORKER_CLASS": "sync",
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn_conf.py", "--log-level",
         "warning", "--access-logfile", "/dev/null", "gateway:create_app()"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_port(port)
        deadline = time.monotonic() + 60
        while len(list(folder.glob("counter_*.db"))) < 2:  # each process, once it has booted
            assert time.monotonic() < deadline, "the second process did not boot"
            time.sleep(0.05)
        hops = 80

        def dial(n: int) -> None:  # at once from 8 threads: both sync processes get some
            data = f"sessionId=mp-{n}&serviceCode=*1234%23&phoneNumber=%2B66811000004&text="
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ussd", data.encode(), timeout=30)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(dial, range(hops)))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
            samples = parse(r.read().decode())
        assert sum(v for (name, _), v in samples.items() if name == "satja_ussd_hops_total") == hops
        per_process = [
            sum(
                s.value
                for family in MultiProcessCollector.merge([str(file)])
                for s in family.samples
                if s.name == "satja_ussd_hops_total"
            )
            for file in folder.glob("counter_*.db")
        ]
        assert len(per_process) == 2 and all(per_process), per_process  # both counted
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_hop_is_answered_the_same_with_metrics(client, fund):
    status, screen = hop(client, fund["member"][2], "", "same-1")
    assert status == 200 and screen.startswith("CON")
