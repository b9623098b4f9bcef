"""POST /sms/inbound and POST /sms/delivery: thin routes over the SMS desk and outbox."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from gateway.edge.africastalking import (
    TEXT,
    guard_callbacks,
    parse_delivery_report,
    parse_inbound_sms,
)
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.services.sms.inbound import take_delivery, take_inbound
from models.clock import local_today

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)


guard_callbacks(bp)


@bp.errorhandler(OperationalError)
def database_down(exc: OperationalError) -> ResponseReturnValue:
    """The database is unreachable: 503, so that the provider tries again."""
    log.error("sms callback: database unavailable: %s", type(exc.orig).__name__)
    return "try again later\n", 503, TEXT


@bp.errorhandler(Exception)
def unexpected(exc: Exception) -> ResponseReturnValue:
    """Anything else: logged, rolled back, and 503 so that the provider tries again."""
    if isinstance(exc, HTTPException):  # a 405 or 413 is the caller's mistake: say so
        return exc
    log.exception("sms callback failed: %s", type(exc).__name__)
    return "try again later\n", 503, TEXT


@bp.post("/sms/inbound")
def inbound() -> ResponseReturnValue:
    """Carry out one SMS; its replies and receipts go once it has committed."""
    sms = parse_inbound_sms(request.form)
    settings = current_app.config["SATJA"]
    today = local_today(settings.timezone)
    handled = take_inbound(current_db(), current_redis(), settings, sms, today)
    if handled.conflict:
        return "conflict\n", 409, TEXT
    return handled.reply, 200, TEXT


@bp.post("/sms/delivery")
def delivery() -> ResponseReturnValue:
    """Record a delivery report against the message it names."""
    found = take_delivery(current_db(), parse_delivery_report(request.form))
    return ("ok\n" if found else "unknown message\n"), 200, TEXT


def init_app(app: Flask) -> None:
    """Register the SMS routes."""
    app.register_blueprint(bp)
