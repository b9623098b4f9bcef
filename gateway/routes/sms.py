"""SMS callbacks, thin routes over the SMS desk and outbox.

/sms/inbound and /sms/delivery for Africa's Talking; /sms/kannel/inbound and
/sms/kannel/delivery for Kannel (its get-url and dlr-url, GET or POST, all in the query).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from gateway.edge.africastalking import (
    TEXT,
    callback_form,
    guard_callbacks,
    parse_delivery_report,
    parse_inbound_sms,
)
from gateway.edge.kannel import parse_kannel_delivery, parse_kannel_inbound
from gateway.edge.types import InboundSms
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.services.sms.inbound import Handled, take_delivery, take_inbound
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
    handled = _carry_out(parse_inbound_sms(callback_form()))
    if handled.conflict:
        return "conflict\n", 409, TEXT
    return handled.reply, 200, TEXT


@bp.route("/sms/kannel/inbound", methods=["GET", "POST"])
def kannel_inbound() -> ResponseReturnValue:
    """One SMS from Kannel's sms-service; the reply goes through the outbox, like any."""
    handled = _carry_out(parse_kannel_inbound(request.query_string))
    if handled.conflict:
        return "conflict\n", 409, TEXT
    # An empty answer: Kannel must not send a body as a second reply (max-messages = 0).
    return "", 200, TEXT


def _carry_out(sms: InboundSms) -> Handled:
    settings = current_app.config["SATJA"]
    today = local_today(settings.timezone)
    return take_inbound(current_db(), current_redis(), settings, sms, today)


@bp.post("/sms/delivery")
def delivery() -> ResponseReturnValue:
    """Record a delivery report against the message it names."""
    found = take_delivery(current_db(), parse_delivery_report(callback_form()))
    return ("ok\n" if found else "unknown message\n"), 200, TEXT


@bp.route("/sms/kannel/delivery", methods=["GET", "POST"])
def kannel_delivery() -> ResponseReturnValue:
    """Record Kannel's delivery report against the outbox message it names."""
    found = take_delivery(current_db(), parse_kannel_delivery(request.query_string))
    return ("ok\n" if found else "unknown message\n"), 200, TEXT


def init_app(app: Flask) -> None:
    """Register the SMS routes."""
    app.register_blueprint(bp)
