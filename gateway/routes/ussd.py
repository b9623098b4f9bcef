"""POST /ussd and POST /ussd/events: thin routes over the USSD menu."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.edge.africastalking import (
    TEXT,
    guard_callbacks,
    parse_ussd,
    parse_ussd_end,
)
from gateway.extensions.database import current_db
from gateway.extensions.redis import redis_or_none
from gateway.flows.ussd import split_inputs
from gateway.services.ussd_cache import HopCache
from gateway.services.ussd_hop import answer_from_snapshot, answer_hop
from models.base import utcnow
from models.clock import local_today
from models.phones import mask_phone, phone_key
from models.ussd import UssdHop, UssdSessionEnd
from workers.outbox import enqueue_sends

log = logging.getLogger(__name__)
bp = Blueprint("ussd", __name__)
SORRY = "END ขออภัย ระบบขัดข้อง ลองใหม่ภายหลัง\nSorry, please try again later."
SLOW_DOWN = "END กดเร็วเกินไป รอสักครู่แล้วลองใหม่\nToo many tries: please wait a minute."


guard_callbacks(bp)


@bp.post("/ussd")
def hop():  # noqa: ANN201
    """Answer a hop from the session's snapshot when it changes nothing, else the database."""
    ussd = parse_ussd(request.form)
    settings = current_app.config["SATJA"]
    today, now = local_today(settings.timezone), utcnow()
    hops = HopCache(redis_or_none())
    caller = phone_key(ussd.phone)  # one limit and one snapshot however the number is written
    look = hops.look(ussd.session_id, caller, settings.ussd_hops_per_minute, today)
    if look.over_limit:
        return SLOW_DOWN, 200, TEXT
    if look.held and (quick := answer_from_snapshot(look.snapshot.fields, ussd, now)):
        return quick, 200, TEXT
    try:
        with current_db().transaction() as session:
            answered = answer_hop(session, settings, ussd, today, now)
    except IntegrityError:
        # Another process answered this very hop first: give the same screen.
        with current_db().transaction() as session:
            stored = session.scalars(
                select(UssdHop.screen).where(
                    UssdHop.session_id == ussd.session_id,
                    UssdHop.hop == len(split_inputs(ussd.text)),
                )
            ).first()
        if stored is None:  # no other process answered it: the insert itself failed
            log.exception("ussd %s from %s failed", ussd.session_id, mask_phone(ussd.phone))
        return stored or SORRY, 200, TEXT
    except Exception:  # a polite END beats a 500 on a feature phone; the log has it all
        log.exception("ussd %s from %s failed", ussd.session_id, mask_phone(ussd.phone))
        return SORRY, 200, TEXT
    if answered.message_ids and (redis := redis_or_none()) is not None:
        enqueue_sends(redis, answered.message_ids)  # if Redis is down, the sweeper sends them
    if answered.read is not None:
        hops.keep(look, ussd.session_id, caller, answered.group_id, answered.read, today)
    return answered.text, 200, TEXT


@bp.post("/ussd/events")
def session_end():  # noqa: ANN201
    """Store the provider's end-of-session notice (once per session)."""
    end = parse_ussd_end(request.form)
    with current_db().transaction() as session:
        known = session.scalars(
            select(UssdSessionEnd.id).where(UssdSessionEnd.session_id == end.session_id)
        ).first()
        if known is None:
            session.add(
                UssdSessionEnd(
                    session_id=end.session_id,
                    phone=end.phone,
                    status=end.status,
                    input=end.input,
                    duration_ms=end.duration_ms,
                    error_message=(end.error_message or None) and end.error_message[:200],
                    hops=end.hops,
                )
            )
    return "ok\n", 200, TEXT


def init_app(app: Flask) -> None:
    """Register the USSD routes."""
    app.register_blueprint(bp)
