"""A payment's two database hops in one call each (PostgreSQL), when the snapshot holds the rest.

The general path (gateway/services/ussd_hop.py) reads the caller, runs the menu, applies
its effects, stores the hop and commits: four to six round trips and most of the hop's
CPU. When the session's snapshot already says what each outcome shows, one function
call does the same work under the same rules (migration 0022): `satja_pin_hop` checks
the PIN under the member's lock, counts a wrong try and stores the hop;
`satja_declare_hop` posts the declaration, writes the collector's SMS and stores the
hop. Whenever anything is not as the snapshot assumed, the function writes nothing and
the general path answers.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from typing import Any

import psycopg
from psycopg import errors

from gateway.edge.types import UssdRequest
from gateway.flows.ussd import split_inputs
from gateway.services.ussd_hop import REF_MARK, Answered, DeclarePlan, PinPlan, Quick
from models.base import member_generation, money_generation, usual_generation, utcnow
from models.db import CallLost, Database
from models.ledger import MAX_KEY_LENGTH
from models.outbox import MessageKind, Status
from models.phones import InvalidPhone, mask_phone, normalize_phone
from models.pins import LOCK_FOR, WRONG_TRIES, hash_pin

log = logging.getLogger(__name__)


@cache
def _call(function: str, names: tuple[str, ...]) -> str:
    # Built once per process. Arguments by name (p_phone => %(phone)s): their order here
    # cannot drift from the function's.
    return f"SELECT * FROM {function}({', '.join(f'p_{n} => %({n})s' for n in names)})"


def _one(db: Database, function: str, values: dict[str, object], unsure: set[str]) -> Any | None:
    """The function's one row, or None: it wrote nothing, or another process won the hop.

    `unsure`: the generations its work moves on, told anyway when the connection broke
    during the call (it may have committed: moving on too much only costs a read).
    """
    try:
        # One statement is its own transaction: no BEGIN, no COMMIT to wait for.
        return db.call(_call(function, tuple(values)), values)
    except psycopg.IntegrityError:
        return None  # this very hop stored by another process first: the general path has it
    except errors.UndefinedFunction:
        # Code deployed before its migration ran: slower, never wrong.
        log.warning("%s is missing: run the migrations; the general path answers", function)
        return None
    except CallLost as lost:
        # A pooled connection the server dropped (a restart): the general path's pool pings
        # before it uses one, and finds this hop stored if the call did commit.
        db.committed(unsure)
        log.warning("%s: the connection broke (%s); the general path answers", function, lost)
        return None


def _hop(
    db: Database, request: UssdRequest, plan: PinPlan | DeclarePlan, member_id: int
) -> dict[str, object] | None:
    """Who calls, in which session, at which hop, as the snapshot saw them; None: no call."""
    if db.engine.dialect.name != "postgresql":
        return None
    try:
        phone = normalize_phone(request.phone)  # as the members table holds it
    except InvalidPhone:
        return None
    return {
        "phone": phone,
        "member_id": member_id,
        "lang": plan.lang,
        "status": plan.status,
        "session_id": request.session_id,
        "hop": len(split_inputs(request.text)),
        "text": request.text,
    }


def pin_in_one(
    db: Database,
    request: UssdRequest,
    plan: PinPlan,
    member_id: int,
    keys: tuple[str, ...],
    now: dt.datetime,
) -> Answered | None:
    """The PIN hop's answer from one call; None when the general path must answer it."""
    values = _hop(db, request, plan, member_id)
    if values is None:
        return None
    moves = {member_generation(member_id)}  # a wrong try counted, a lock set or cleared
    row = _one(
        db,
        "satja_pin_hop",
        {
            **values,
            # Made here, under the newest key: the database never sees the PIN, nor a key.
            "hash": hash_pin(member_id, plan.pin, keys),
            "right": plan.right,
            "wrong": plan.wrong,
            "locked": plan.locked,
            "now": now,
            "lock_until": now + LOCK_FOR,
            "wrong_tries": WRONG_TRIES,
            "created_at": utcnow(),
        },
        moves,
    )
    if row is None:
        return None
    if row.moved:  # a wrong try counted, a lock set, or cleared: the snapshot must know
        db.committed(moves)
    verdict = {True: "right", False: "wrong", None: "locked"}[row.pin_ok]
    where = (request.session_id, values["hop"], mask_phone(str(values["phone"])))
    log.info("ussd %s hop %s from %s: pin %s", *where, verdict)
    return Answered(str(row.screen), [])


def declare_in_one(
    db: Database,
    request: UssdRequest,
    plan: DeclarePlan,
    member_id: int,
    today: dt.date,
    now: dt.datetime,
) -> Answered | None:
    """The declaring hop's answer from one call; None when the general path must answer it.

    Its SMS is the caller's to hand over, once the answer is in hand (as the general path's),
    and with it the generations the call moved on (`Answered.moved`).
    """
    values = _hop(db, request, plan, member_id)
    if values is None or "*" not in request.text:
        return None
    key = f"ussd:{request.session_id}:{values['hop']}"  # the general path's key
    if len(key) > MAX_KEY_LENGTH:
        return None
    row = _one(
        db,
        "satja_declare_hop",
        {
            **values,
            "pin_text": request.text.rsplit("*", 1)[0],  # as the PIN hop received it
            "collector": plan.collector,
            "amount": plan.amount,
            "key": key,
            "today": today,
            "screen": plan.screen,
            "sms_th": plan.sms["th"],
            "sms_en": plan.sms["en"],
            "mark": REF_MARK,
            "kind": MessageKind.NOTICE.value,
            "queued": Status.QUEUED.value,
            "now": now,
            "created_at": utcnow(),
        },
        # Not knowing the collector's id, the usual one stays: it expires on its own.
        {money_generation(member_id)},
    )
    if row is None:
        return None
    # As the ledger's _touch says of a pending transfer: the payer's money, and the
    # collector they paid (which moves their usual one only when it is another). Told
    # by the caller with the SMS's hand-over: one Redis round trip for both.
    moved = frozenset({money_generation(member_id), usual_generation(member_id, row.collector_id)})
    where = (request.session_id, values["hop"], mask_phone(str(values["phone"])))
    log.info("ussd %s hop %s from %s: declared", *where)
    return Answered(str(row.screen), [row.message_id], moved=moved)


def answer_in_one(
    db: Database,
    request: UssdRequest,
    quick: Quick,
    member_id: int,
    keys: tuple[str, ...],
    today: dt.date,
    now: dt.datetime,
) -> Answered | None:
    """A PIN or declaring hop answered in one call, or None for the general path."""
    if quick.pin is not None:
        return pin_in_one(db, request, quick.pin, member_id, keys, now)
    if quick.declare is not None:
        return declare_in_one(db, request, quick.declare, member_id, today, now)
    return None
