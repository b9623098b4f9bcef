"""The relay: a request hands its committed messages over; the relay makes their jobs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from kannel_rig import wait_for  # the suite's bounded poll
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select

from models.base import usual_generation, utcnow
from models.offices import Office
from models.outbox import OutboundMessage
from models.registry import add_group, add_member
from workers import runtime, stats
from workers.broker import generation_key
from workers.outbox import SMS_QUEUE, job_id, sweep_outbox
from workers.relay import READY, hand_over, relay_all, relay_once, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rt(settings, redis_conn):
    """This process's job runtime on the test's database and Redis."""
    current = runtime.install(settings)
    yield current
    runtime.uninstall()


def messages(db) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(OutboundMessage.id).order_by(OutboundMessage.id)))


def pay(client, db) -> list[int]:
    """A collector's PAY by SMS: a receipt to the member and a reply; their outbox ids."""
    with db.transaction() as session:
        group = add_group(session, "BANNA", "บ้านนา")
        joined = dt.date(2026, 1, 1)
        add_member(session, group, name="ก", phone="0811000002", office=Office.COLLECTOR,
                   joined_on=joined)  # fmt: skip
        add_member(session, group, name="ข", phone="0811000004", joined_on=joined)
    answer = client.post(
        "/sms/inbound", data={"from": "+66811000002", "text": "PAY 2 30", "id": "r1"}
    )
    assert answer.status_code == 200
    return messages(db)


def test_a_request_hands_over_and_makes_no_job(client, db, redis_conn):
    ids = pay(client, db)
    assert len(ids) == 2
    assert Queue(SMS_QUEUE, connection=redis_conn).count == 0
    handed = [entry.decode().split(" ")[0] for entry in redis_conn.lrange(READY, 0, -1)]
    assert sorted(handed) == sorted(str(i) for i in ids)


def test_the_relay_makes_one_job_a_message_with_its_fixed_id_and_the_requests_id(
    client, db, rt, redis_conn
):
    ids = pay(client, db)
    assert relay_once(redis_conn) == 2
    queue = Queue(SMS_QUEUE, connection=redis_conn)
    assert sorted(queue.job_ids) == sorted(job_id(i) for i in ids)
    requests = {Job.fetch(j, connection=redis_conn).meta.get("request_id") for j in queue.job_ids}
    assert len(requests) == 1 and None not in requests  # the PAY's own request
    assert redis_conn.llen(READY) == 0
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    with db.transaction() as session:
        sent = session.scalars(select(OutboundMessage.status)).all()
    assert sent == ["delivered", "delivered"]


def test_a_message_handed_over_twice_is_sent_once(client, db, rt, redis_conn):
    ids = pay(client, db)
    assert relay_all(redis_conn) == 2
    hand_over(redis_conn, ids + ids)  # again, and twice in one batch
    assert relay_all(redis_conn) == 4
    queue = Queue(SMS_QUEUE, connection=redis_conn)
    assert set(queue.job_ids) == {job_id(i) for i in ids}  # the same job ids, made again
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    with db.transaction() as session:
        rows = session.scalars(select(OutboundMessage)).all()
    assert [(m.status, m.attempts) for m in rows] == [("delivered", 1), ("delivered", 1)]


def test_a_batch_is_taken_whole_and_the_rest_left_for_the_next(redis_conn, monkeypatch):
    monkeypatch.setattr("workers.relay.BATCH", 3)
    hand_over(redis_conn, range(1, 8))
    assert relay_once(redis_conn) == 3
    assert redis_conn.llen(READY) == 4
    assert relay_all(redis_conn) == 4
    assert sorted(Queue(SMS_QUEUE, connection=redis_conn).job_ids) == sorted(
        job_id(i) for i in range(1, 8)
    )


def test_an_entry_the_sweeper_has_taken_over_is_left_and_an_odd_one_dropped(redis_conn):
    now = int(utcnow().replace(tzinfo=dt.UTC).timestamp())
    redis_conn.rpush(READY, f"8 {now - 3600} old-request", "not a message", f"9 {now}")
    assert relay_all(redis_conn) == 3
    assert Queue(SMS_QUEUE, connection=redis_conn).job_ids == [job_id(9)]


def test_a_batch_the_relay_took_but_could_not_enqueue_is_the_sweepers(
    client, db, rt, redis_conn, monkeypatch
):
    ids = pay(client, db)

    def refused(*_args, **_kwargs):
        raise RedisConnectionError("gone mid-batch")

    monkeypatch.setattr("rq.Queue.enqueue_many", refused)
    assert relay_once(redis_conn) == 2  # taken from the list, and no job made
    monkeypatch.undo()
    queue = Queue(SMS_QUEUE, connection=redis_conn)
    assert redis_conn.llen(READY) == 0 and queue.count == 0
    assert sweep_outbox(utcnow() + dt.timedelta(minutes=2)) == 2
    assert sorted(queue.job_ids) == sorted(job_id(i) for i in ids)


def test_handing_over_also_moves_on_what_the_commit_changed(redis_conn):
    moved = {"money:7", usual_generation(7, 3)}
    assert hand_over(redis_conn, [], moved) == 0
    assert redis_conn.get(generation_key("money:7")) == b"1"
    assert redis_conn.get(generation_key("usual:7")) is not None
    assert redis_conn.llen(READY) == 0


def test_without_redis_nothing_is_handed_over_and_the_sweeper_sends_it(client, db, rt, redis_conn):
    ids = pay(client, db)
    redis_conn.delete(READY)  # as if Redis had lost the hand-over (or never had it)
    assert hand_over(None, ids) == 0
    gone = Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.2)
    assert hand_over(gone, ids) == 0  # a Redis that does not answer: no error either
    later = utcnow() + dt.timedelta(minutes=2)
    assert sweep_outbox(later) == 2
    assert sorted(Queue(SMS_QUEUE, connection=redis_conn).job_ids) == sorted(map(job_id, ids))


def test_the_relay_loop_makes_jobs_as_ids_arrive_and_stops_when_asked(redis_conn):
    stop = threading.Event()
    loop = threading.Thread(target=run, args=(redis_conn, stop.is_set))
    loop.start()
    try:
        hand_over(redis_conn, [41, 42])
        queue = Queue(SMS_QUEUE, connection=redis_conn)
        assert wait_for(lambda: sorted(queue.job_ids) == [job_id(41), job_id(42)])
        assert "relay_last_pass" in stats.read(redis_conn)[1]
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()


def test_the_relay_waits_out_a_redis_that_went_away(redis_conn, monkeypatch):
    calls = []

    def flaky(redis, wait=0.0):
        calls.append(wait)
        if len(calls) == 1:
            raise RedisConnectionError("gone for a moment")
        return 0

    monkeypatch.setattr("workers.relay.relay_once", flaky)
    monkeypatch.setattr("workers.relay.WAIT", 0.01)
    run(redis_conn, lambda: len(calls) >= 3)
    assert len(calls) == 3  # it went on after the error


def test_the_relay_command_runs_until_sigterm(settings, redis_conn, tmp_path):
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    env["SATJA_INSTANCE_PATH"] = str(settings.instance_path)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    log = tmp_path / "relay.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "gateway", "relay", "--log-file", str(log)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        hand_over(redis_conn, [7])
        queue = Queue(SMS_QUEUE, connection=redis_conn)
        assert wait_for(lambda: queue.job_ids == [job_id(7)], 60), log.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
        process.wait()
