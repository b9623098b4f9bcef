"""POST /ussd and POST /ussd/events: thin routes over the USSD service."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue

from gateway.edge.africastalking import (
    TEXT,
    callback_form,
    guard_callbacks,
    parse_ussd,
    parse_ussd_end,
)
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.services.ussd import record_session_end, serve_hop
from models.base import utcnow
from models.clock import local_today

bp = Blueprint("ussd", __name__)
guard_callbacks(bp)


@bp.post("/ussd")
def hop() -> ResponseReturnValue:
    """Answer one hop, CON or END."""
    ussd = parse_ussd(callback_form())
    settings = current_app.config["SATJA"]
    today, now = local_today(settings.timezone), utcnow()
    redis = redis_or_none(pinned=True)  # the hop's calls: one connection, no checkouts
    return serve_hop(current_db(), redis, settings, ussd, today, now), 200, TEXT


@bp.post("/ussd/events")
def session_end() -> ResponseReturnValue:
    """Store the provider's end-of-session notice (once per session)."""
    record_session_end(current_db(), parse_ussd_end(callback_form()))
    return "ok\n", 200, TEXT


def init_app(app: Flask) -> None:
    """Register the USSD routes."""
    app.register_blueprint(bp)
