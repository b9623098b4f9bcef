"""SATJA_LOG_FORMAT=json: one object a line, the request id carried into the jobs."""

from __future__ import annotations

import io
import json
import logging
import os
import sys

import pytest
from people import send
from rq import Queue, SimpleWorker
from rq.job import Job

from config.logs import JsonFormatter
from config.settings import SettingsError, load_settings
from gateway import create_app
from workers import runtime
from workers.outbox import SMS_QUEUE
from workers.relay import relay_all
from workers.tracing import Tracing

pytestmark = pytest.mark.clock


class TracingSimpleWorker(Tracing, SimpleWorker):
    """The production worker's tracing, without the fork, so this process sees its lines."""


@pytest.fixture
def json_lines(database_url, embedded_redis, tmp_path, redis_conn):
    """A JSON-logging app, and the lines its root handler wrote."""
    env = {
        "DATABASE_URL": database_url,
        "SATJA_INSTANCE_PATH": str(embedded_redis or tmp_path),
        "SATJA_LOG_FORMAT": "json",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    settings = load_settings(env)
    app = create_app(settings)
    root = logging.getLogger()
    (ours,) = [h for h in root.handlers if getattr(h, "satja_json", False)]
    ours.setStream(stream := io.StringIO())
    runtime.install(settings)
    try:
        yield app, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        runtime.uninstall()
        root.removeHandler(ours)
        app.extensions["satja.db"].dispose()


def test_a_payment_is_one_request_id_from_callback_to_receipt(json_lines, fund, redis_conn):
    app, lines = json_lines
    # `fund` is written through the suite's own app, on the same database.
    response = send(app.test_client(), fund["collector"][2], f"PAY {fund['member'][1]} 30")
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 16
    queue = Queue(SMS_QUEUE, connection=redis_conn)
    relay_all(redis_conn)  # as the relay process does: the request's id rides along
    jobs = [Job.fetch(job_id, connection=redis_conn) for job_id in queue.job_ids]
    assert jobs and {job.meta.get("request_id") for job in jobs} == {request_id}
    TracingSimpleWorker([queue], connection=redis_conn).work(burst=True)
    logged = lines()
    assert all({"time", "level", "logger", "message"} <= set(line) for line in logged)
    in_request = [line for line in logged if line["logger"].startswith("gateway.")]
    assert in_request and {line["request_id"] for line in in_request} == {request_id}
    sends = [line for line in logged if line["logger"] == "workers.outbox"]
    assert len(sends) == len(jobs)  # the receipt and the reply, each with the request's id
    assert {line["request_id"] for line in sends} == {request_id}
    assert {line["job_id"] for line in sends} == {job.id for job in jobs}
    for line in logged:  # no number in any spelling
        for phone in (fund["collector"][2], fund["member"][2]):
            assert phone[-9:] not in json.dumps(line)


def test_a_proxy_request_id_is_kept_and_a_strange_one_replaced(json_lines, fund):
    app, _ = json_lines
    client = app.test_client()
    kept = client.get("/healthz", headers={"X-Request-Id": "edge-4f2a9c01"})
    assert kept.headers["X-Request-Id"] == "edge-4f2a9c01"
    odd = client.get("/healthz", headers={"X-Request-Id": "+66811000004 <script>"})
    assert odd.headers["X-Request-Id"] != "+66811000004 <script>"


def test_an_error_is_one_line_with_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("it",), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed it" and "ValueError: boom" in entry["error"]


def test_thai_stays_readable():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "กองทุน %s", ("บ้านนา",), None)
    assert "กองทุน บ้านนา" in JsonFormatter().format(record)


def test_an_unknown_log_format_is_refused_in_one_line():
    with pytest.raises(SettingsError, match="SATJA_LOG_FORMAT must be one of text, json"):
        load_settings({"SATJA_LOG_FORMAT": "xml"})
