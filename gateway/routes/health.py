"""GET /healthz: ok or degraded for anyone; the parts and queue depths with the token."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.edge.africastalking import token_ok
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.services.health import database_ok, queue_depths

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Ok or degraded (503); with the callback token, which part and the queue depths."""
    database = database_ok(current_db())
    depths = queue_depths(redis_or_none())
    ok = database and depths is not None
    body: dict[str, object] = {"status": "ok" if ok else "degraded"}
    # A load balancer needs only the status; the rest tells an outsider what runs here.
    if token_ok(request.args, current_app.config["SATJA"].callback_token):
        body.update(database=database, redis=depths is not None, queues=depths or {})
    return jsonify(body), 200 if ok else 503


def init_app(app: Flask) -> None:
    """Register the health route."""
    app.register_blueprint(bp)
