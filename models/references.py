"""References people see and type: digits only, the record's id and a check digit.

A keypad phone types digits without switching modes, so a reference is the id written
in decimal (at least four digits) and one Damm check digit: 5 digits up to id 9,999,
7 up to 999,999. Damm's check catches every single mistyped digit and every swap of two
neighbours, so such a slip never names another record. References issued before
(base 32 with letters, e.g. 01K7) keep working as typed.
"""

from __future__ import annotations

import re

from config.conventions import REF_SHAPE

REF_PATTERN = re.compile(REF_SHAPE)
BODY_DIGITS = 4  # the id padded to four digits: every reference has five or more
# Damm's table: a quasigroup of order 10 with no weak pairs (H. M. Damm, 2004).
DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
# The first references: base-32 digits without I, L, O, U, then a check character.
OLD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _damm(digits: str) -> int:
    interim = 0
    for c in digits:
        interim = DAMM[interim][int(c)]
    return interim


def ref_for(record_id: int) -> str:
    """The reference of a transfer or claim id: the id (4+ digits) and its check digit."""
    body = str(record_id).zfill(BODY_DIGITS)
    return body + str(_damm(body))


def id_for_ref(text: str) -> int | None:
    """The id a typed reference names, or None when it is not a reference."""
    match = REF_PATTERN.fullmatch(text.strip().upper())
    if not match:
        return None
    ref = match.group(1)
    # Five digits or more is today's form; only letters or four characters are older ones.
    if ref.isdigit() and len(ref) > BODY_DIGITS:
        return (int(ref[:-1]) or None) if _damm(ref) == 0 else None
    return _old_id(ref)


def old_ref_for(record_id: int) -> str:
    """A reference as issued before digits-only ones (tests show those still work)."""
    digits = ""
    n = record_id
    while n:
        n, r = divmod(n, 32)
        digits = OLD_ALPHABET[r] + digits
    digits = digits.rjust(3, "0")
    return digits + _old_check(digits)


def _old_check(digits: str) -> str:
    # Odd weights modulo 32: any single mistyped character changes the check.
    total = sum((2 * i + 1) * OLD_ALPHABET.index(c) for i, c in enumerate(digits))
    return OLD_ALPHABET[total % 32]


def _old_id(ref: str) -> int | None:
    digits, check = ref[:-1], ref[-1]
    if any(c not in OLD_ALPHABET for c in ref) or _old_check(digits) != check:
        return None
    n = 0
    for c in digits:
        n = n * 32 + OLD_ALPHABET.index(c)
    return n or None
