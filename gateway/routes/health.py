"""GET /healthz: ok or degraded for anyone; the parts and queue depths with the token."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify, request
from rq import Queue
from sqlalchemy import text

from gateway.edge.africastalking import token_ok
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from workers.broker import QUEUES

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
    """Ok or degraded (503); with the callback token, which part and the queue depths."""
    database = _database_ok()
    depths = _queue_depths()
    ok = database and depths is not None
    body: dict[str, object] = {"status": "ok" if ok else "degraded"}
    # A load balancer needs only the status; the rest tells an outsider what runs here.
    if token_ok(request.args, current_app.config["SATJA"].callback_token):
        body.update(database=database, redis=depths is not None, queues=depths or {})
    return jsonify(body), 200 if ok else 503


def init_app(app: Flask) -> None:
    """Register the health route."""
    app.register_blueprint(bp)
