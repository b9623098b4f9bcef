"""Member PINs: an HMAC keyed outside the database, and a lock after three wrong tries.

A 4-digit PIN has 10,000 values: a slow hash cannot protect it from whoever holds the
database (10,000 tries of Argon2 take minutes) and it costs every member's PIN hop 20 ms
of CPU. What protects it is a secret kept outside the database (SATJA_PIN_KEYS) and the
try limit. A PIN is stored as `hmac-sha256$<key id>$<HMAC-SHA256(key, member id:PIN)>`;
keys are listed newest first, so one can be rotated: a PIN under an older key, or an
Argon2id hash from before, is checked once more and replaced at its next correct entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import object_session

from models.registry import Member

log = logging.getLogger(__name__)
# Dashboard passwords keep Argon2id (OWASP's minimum: 19 MiB, 2 passes); PINs set before
# the HMAC are checked with it one last time.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
SCHEME = "hmac-sha256"
WRONG_TRIES = 3
LOCK_FOR = dt.timedelta(minutes=30)


def key_id(key: str) -> str:
    """A short name for a key, stored with each hash (it tells nothing of the key)."""
    return hashlib.sha256(b"satja-pin-key-id:" + key.encode()).hexdigest()[:8]


def _digest(key: str, member_id: int, pin: str) -> str:
    # The member id in the message: one PIN gives a different hash for every member.
    return hmac.new(key.encode(), f"{member_id}:{pin}".encode(), hashlib.sha256).hexdigest()


def hash_pin(member_id: int, pin: str, keys: Sequence[str]) -> str:
    """The stored form of a member's PIN, under the newest key."""
    return f"{SCHEME}${key_id(keys[0])}${_digest(keys[0], member_id, pin)}"


def _matches(stored: str, member_id: int, pin: str, keys: Sequence[str]) -> bool | None:
    """Whether the PIN is the stored one; None when no configured key made the hash."""
    if stored.startswith(SCHEME + "$"):
        _, name, digest = stored.split("$", 2)
        key = next((k for k in keys if key_id(k) == name), None)
        if key is None:
            return None
        return hmac.compare_digest(digest, _digest(key, member_id, pin))
    try:
        return HASHER.verify(stored, pin)  # a hash from before the HMAC: once more
    except (VerificationError, InvalidHashError):
        return False


def pin_locked(member: Member, now: dt.datetime) -> bool:
    """True while a member's PIN actions are locked."""
    return member.pin_locked_until is not None and member.pin_locked_until > now


def set_pin(member: Member, pin: str, keys: Sequence[str]) -> None:
    """Store a new PIN's hash and clear the wrong-try count."""
    member.pin_hash = hash_pin(member.id, pin, keys)
    member.pin_tries = 0
    member.pin_locked_until = None


def check_pin(
    member: Member, pin: str, now: dt.datetime, keys: Sequence[str], *, locked: bool = False
) -> bool:
    """Verify a PIN; a wrong one counts, and the third in a row locks for 30 minutes.

    `locked`: this transaction read the member's row under its lock already (it costs a
    hop one statement less); otherwise the PIN's columns are read again under the lock.
    """
    session = object_session(member)
    if session is not None and not locked:
        # Tries from other sessions at the same moment must all count: read the row again
        # under its lock (PostgreSQL; SQLite's transactions are serial already).
        session.refresh(member, ["pin_hash", "pin_tries", "pin_locked_until"], with_for_update=True)
    if pin_locked(member, now) or member.pin_hash is None:
        return False
    matches = _matches(member.pin_hash, member.id, pin, keys)
    if matches is None:
        # Its key was taken out of SATJA_PIN_KEYS: no entry can match, so none counts;
        # a treasurer's PINRESET lets the member set a new one.
        log.warning("member %s: PIN under a key no longer configured", member.id)
        return False
    if not matches:
        member.pin_tries += 1
        if member.pin_tries >= WRONG_TRIES:
            member.pin_tries = 0
            member.pin_locked_until = now + LOCK_FOR
        return False
    if not member.pin_hash.startswith(f"{SCHEME}${key_id(keys[0])}$"):
        member.pin_hash = hash_pin(member.id, pin, keys)  # an old key or Argon2: renewed
    member.pin_tries = 0
    return True
