"""One USSD hop end to end: the phone's limit, the session's snapshot, else the database.

The route parses the callback and returns what `serve_hop` says; everything a hop does
to Redis and the database is here. Any failure becomes a polite END (never a 500 on a
feature phone), logged with the session id.
"""

from __future__ import annotations

import datetime as dt
import logging

from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from gateway.edge.types import UssdEnd, UssdRequest
from gateway.flows.ussd import split_inputs
from gateway.services.metrics import count_hop
from gateway.services.ussd_cache import HopCache, Look
from gateway.services.ussd_fast import answer_in_one
from gateway.services.ussd_hop import answer_from_snapshot, answer_hop
from models.db import Database
from models.phones import mask_phone, phone_key
from models.ussd import UssdHop, UssdSessionEnd
from workers.relay import hand_over

log = logging.getLogger(__name__)
SORRY = "END ขออภัย ระบบขัดข้อง ลองใหม่ภายหลังค่ะ\nSorry, please try again later."
SLOW_DOWN = "END กดเร็วเกินไป รอสักครู่แล้วลองใหม่ค่ะ\nToo many tries: please wait a minute."


def serve_hop(
    db: Database,
    redis: Redis | None,
    settings: Settings,
    ussd: UssdRequest,
    today: dt.date,
    now: dt.datetime,
) -> str:
    """The answer to a hop, CON or END: from the session's snapshot when it changes nothing."""
    hops = HopCache(redis)
    caller = phone_key(ussd.phone)  # one limit and one snapshot however the number is written
    look = hops.look(ussd.session_id, caller, settings.ussd_hops_per_minute, today)
    if look.over_limit:
        count_hop("limited")
        return SLOW_DOWN
    held = look.snapshot if look.held else None
    hint = None
    if held:
        hint = answer_from_snapshot(held.fields, ussd, now)
        if hint.text is not None:
            count_hop("snapshot")
            return hint.text
    try:
        answered = None
        if hint is not None and unmoved(look, today):
            keys, member_id = settings.pin_keys, held.head.member_id
            answered = answer_in_one(db, ussd, hint, member_id, keys, today, now)
        if answered is None:
            with db.transaction() as session:
                answered = answer_hop(session, settings, ussd, today, now, held, hint)
    except IntegrityError:
        # Another process answered this very hop first: give the same screen.
        with db.transaction() as session:
            stored = session.scalars(
                select(UssdHop.screen).where(
                    UssdHop.session_id == ussd.session_id,
                    UssdHop.hop == len(split_inputs(ussd.text)),
                )
            ).first()
        if stored is None:  # no other process answered it: the insert itself failed
            log.exception("ussd %s from %s failed", ussd.session_id, mask_phone(ussd.phone))
        count_hop("database" if stored else "failed")
        return stored or SORRY
    except Exception:  # the log has it all
        log.exception("ussd %s from %s failed", ussd.session_id, mask_phone(ussd.phone))
        count_hop("failed")
        return SORRY
    count_hop("database")
    if redis is not None:
        # If Redis is down, the sweeper sends them, and a snapshot missed expires.
        hand_over(redis, answered.message_ids, answered.moved)
    elif answered.moved:
        db.committed(set(answered.moved))
    if answered.read is not None:
        who = (answered.group_id, answered.member_id)
        hops.keep(look, ussd.session_id, caller, who, answered.read, today)
    return answered.text


def unmoved(look: Look, today: dt.date) -> bool:
    """Whether nothing the caller's snapshot holds has changed since the session began."""
    held, now = look.snapshot, look.current
    return (
        held is not None
        and now is not None
        and held.head.day == now.day == today.isoformat()
        and (held.head.group_id, held.head.member_id) == (now.group_id, now.member_id)
        and held.head.tags == now.tags
    )


def record_session_end(db: Database, end: UssdEnd) -> None:
    """Store the provider's end-of-session notice, once per session."""
    with db.transaction() as session:
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
