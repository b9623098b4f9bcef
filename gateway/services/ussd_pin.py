"""A USSD PIN hop in one database call (PostgreSQL), when the session's snapshot holds the rest.

The general path (gateway/services/ussd_hop.py) reads the caller under its lock, checks
the PIN, stores the hop and commits: five round trips and most of the hop's CPU. When
the session's snapshot already says what each outcome shows (a right PIN, a wrong one,
the third wrong one), satja_pin_hop (migration 0022) does the same under the member's
lock in one statement. Whenever anything is not as the snapshot assumed, it writes
nothing and the general path answers.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache

from sqlalchemy import TextClause, text
from sqlalchemy.exc import IntegrityError

from gateway.edge.types import UssdRequest
from gateway.flows.ussd import split_inputs
from gateway.services.ussd_hop import PinPlan
from models.base import member_generation, utcnow
from models.db import Database
from models.phones import InvalidPhone, mask_phone, normalize_phone
from models.pins import LOCK_FOR, WRONG_TRIES, hash_pin

log = logging.getLogger(__name__)


@cache
def _call() -> TextClause:
    # Built once per process: the statement's text is its cache key.
    return text(
        "SELECT screen, pin_ok, moved FROM satja_pin_hop(:phone, :member_id, :lang, :status,"
        " :session_id, :hop, :text, :hash, :right, :wrong, :locked, :now, :lock_until,"
        " :wrong_tries, :created_at)"
    )


def pin_in_one(
    db: Database,
    request: UssdRequest,
    plan: PinPlan,
    member_id: int,
    keys: tuple[str, ...],
    now: dt.datetime,
) -> str | None:
    """The PIN hop's answer from one call; None when the general path must answer it."""
    if db.engine.dialect.name != "postgresql":
        return None
    try:
        phone = normalize_phone(request.phone)
    except InvalidPhone:
        return None
    hop = len(split_inputs(request.text))
    values = {
        "phone": phone,
        "member_id": member_id,
        "lang": plan.lang,
        "status": plan.status,
        "session_id": request.session_id,
        "hop": hop,
        "text": request.text,
        # Made here, under the newest key: the database never sees the PIN, nor a key.
        "hash": hash_pin(member_id, plan.pin, keys),
        "right": plan.right,
        "wrong": plan.wrong,
        "locked": plan.locked,
        "now": now,
        "lock_until": now + LOCK_FOR,
        "wrong_tries": WRONG_TRIES,
        "created_at": utcnow(),
    }
    try:
        # One statement is its own transaction: no BEGIN, no COMMIT to wait for.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(_call(), values).first()
    except IntegrityError:
        return None  # another process stored this very hop first: the general path has it
    if row is None:
        return None
    if row.moved:  # a wrong try counted, a lock set, or cleared: the snapshot must know
        db.committed({member_generation(member_id)})
    verdict = {True: "right", False: "wrong", None: "locked"}[row.pin_ok]
    log.info("ussd %s hop %s from %s: pin %s", request.session_id, hop, mask_phone(phone), verdict)
    return str(row.screen)
