"""GET /metrics: Prometheus' scrape, for the callback token or SATJA_METRICS_ALLOW only."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue

from config.settings import Settings
from gateway.edge.africastalking import TEXT, address_ok, token_ok
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.services.metrics import CONTENT_TYPE, render

bp = Blueprint("metrics", __name__)


def may_scrape(settings: Settings, query: Mapping[str, str], address: str | None) -> bool:
    """From an allowed network, or with the token; open only where neither is configured."""
    if settings.metrics_allow and address_ok(address, settings.metrics_allow):
        return True
    if settings.callback_token:
        return token_ok(query, settings.callback_token)
    return not settings.metrics_allow  # development: no token, no list


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Every metric in Prometheus' text format."""
    if not may_scrape(current_app.config["SATJA"], request.args, request.remote_addr):
        return "forbidden\n", 403, TEXT
    return render(current_db(), redis_or_none()), 200, {"Content-Type": CONTENT_TYPE}


def init_app(app: Flask) -> None:
    """Register the metrics route."""
    app.register_blueprint(bp)
