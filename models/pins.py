"""Member PINs: a salted slow hash (Argon2id), and a lock after three wrong tries."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import object_session

from models.registry import Member

# OWASP's minimum for Argon2id (19 MiB, 2 passes): slow for a guesser, quick for a hop.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
WRONG_TRIES = 3
LOCK_FOR = dt.timedelta(minutes=30)


def pin_locked(member: Member, now: dt.datetime) -> bool:
    """True while a member's PIN actions are locked."""
    return member.pin_locked_until is not None and member.pin_locked_until > now


def set_pin(member: Member, pin: str) -> None:
    """Store a new PIN's hash and clear the wrong-try count."""
    member.pin_hash = HASHER.hash(pin)
    member.pin_tries = 0
    member.pin_locked_until = None


def check_pin(member: Member, pin: str, now: dt.datetime) -> bool:
    """Verify a PIN; a wrong one counts, and the third in a row locks for 30 minutes."""
    session = object_session(member)
    if session is not None:
        # Tries from other sessions at the same moment must all count: read the row again
        # under its lock (PostgreSQL; SQLite's transactions are serial already).
        session.refresh(member, ["pin_hash", "pin_tries", "pin_locked_until"], with_for_update=True)
    if pin_locked(member, now) or member.pin_hash is None:
        return False
    try:
        HASHER.verify(member.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        member.pin_tries += 1
        if member.pin_tries >= WRONG_TRIES:
            member.pin_tries = 0
            member.pin_locked_until = now + LOCK_FOR
        return False
    member.pin_tries = 0
    return True
