"""GET /healthz reports the database, Redis and the queues."""

from __future__ import annotations

from rq import Queue

from models.db import Database


def test_healthz_reports_everything_up(client, redis_conn):
    Queue("sms", connection=redis_conn).enqueue("builtins.len", "abc")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] and body["redis"]
    assert body["queues"] == {"sms": 1, "ledger": 0, "reports": 0}


def test_without_the_token_healthz_says_only_ok_or_degraded(app, client, redis_conn):
    app.config["SATJA"] = app.config["SATJA"].with_(callback_token="t" * 24)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/healthz?token=wrong").get_json() == {"status": "ok"}
    detailed = client.get("/healthz?token=" + "t" * 24).get_json()
    assert detailed["queues"] == {"sms": 0, "ledger": 0, "reports": 0}


def test_healthz_is_503_when_the_database_is_gone(app, client):
    # Port 1 on loopback refuses at once: a database server that is down.
    gone = app.config["SATJA"].with_(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/satja?connect_timeout=2"
    )
    app.extensions["satja.db"].dispose()
    app.extensions["satja.db"] = Database(gone)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False
    assert response.get_json()["status"] == "degraded"


def test_healthz_is_503_when_redis_is_gone(client):
    from gateway.extensions.redis import Broker

    app = client.application
    gone = app.config["SATJA"].with_(redis_url="redis://127.0.0.1:1/0")
    app.extensions["satja.redis"] = Broker(gone)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["redis"] is False and body["database"] is True
