"""GET /healthz: is the database there, is Redis there, how deep are the queues."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify
from rq import Queue
from sqlalchemy import text

from gateway.database import current_db
from workers.broker import QUEUES, current_redis

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        with current_db().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the detail goes to the log
        log.exception("health: database unreachable")
        return False
    return True


def _queue_depths() -> dict[str, int] | None:
    try:
        redis = current_redis()
        return {name: Queue(name, connection=redis).count for name in QUEUES}
    except Exception:
        log.exception("health: redis unreachable")
        return None


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    """Report the database, Redis and queue depths; 503 when something is down."""
    database = _database_ok()
    depths = _queue_depths()
    ok = database and depths is not None
    body = {"ok": ok, "database": database, "redis": depths is not None, "queues": depths or {}}
    return jsonify(body), 200 if ok else 503


def init_app(app: Flask) -> None:
    """Register the health route."""
    app.register_blueprint(bp)
