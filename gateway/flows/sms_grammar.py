"""The SMS command grammar (README, SMS commands): text in, a Command or a ParseError out.

Case-insensitive, Thai keyword aliases, Thai digits, extra spaces ignored. People are
named by member number (short digits) or by phone number in any spelling; amounts
are whole baht. Nothing here looks anything up: that is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from config.conventions import REF_SHAPE
from gateway.flows.dates import BE_OFFSET

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
ALIASES = {
    "จ่าย": "PAY",
    "สรุป": "SUM",
    "ยอด": "BAL",
    "ช่วย": "HELP",
    "หยุด": "STOP",
    "เริ่ม": "START",
    "รับ": "RCV",
    "ตกลง": "OK",
    "ไม่": "NO",
    "ยกเลิก": "UNDO",
    "เบิก": "CLAIM",
    "สมุด": "STMT",
    "อนุมัติ": "APPROVE",
    "ไม่อนุมัติ": "REJECT",
    "ข้อมูลส่วนตัว": "PRIVACY",
}

# Benefit types as committee members type them.
BENEFITS = {
    "BIRTH": "birth",
    "คลอด": "birth",
    "เกิด": "birth",
    "HOSPITAL": "hospital",
    "ป่วย": "hospital",
    "รพ": "hospital",
    "รพ.": "hospital",
    "ELDERLY": "elderly",
    "ชรา": "elderly",
    "สูงอายุ": "elderly",
    "FUNERAL": "funeral",
    "ศพ": "funeral",
    "ตาย": "funeral",
    "เสียชีวิต": "funeral",
    "DISABILITY": "disability",
    "พิการ": "disability",
    "EDUCATION": "education",
    "ทุน": "education",
    "เรียน": "education",
    "DISASTER": "disaster",
    "ภัย": "disaster",
    "OTHER": "other",
    "อื่น": "other",
    "อื่นๆ": "other",
}
MAX_UNITS = 366
VERBS = {
    "PAY",
    "OK",
    "NO",
    "UNDO",
    "SUM",
    "RCV",
    "BAL",
    "PINRESET",
    "HELP",
    "STOP",
    "START",
    "CLAIM",
    "APPROVE",
    "REJECT",
    "STMT",
    "PRIVACY",
}
MEMBER_NUMBER = re.compile(r"[0-9]{1,6}")
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{7,18}")
REF = re.compile(REF_SHAPE)
AMOUNT = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:บาท|บ\.?|฿)?")
DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})")
DATE_LIKE = re.compile(r"[/.-]")
MAX_DIGITS = 9  # more than 999 million baht is a typo, not a payment
# A second payment of the same amount is confirmed with one of these after the amount.
AGAIN = ("ซ้ำ", "AGAIN")


@dataclass(frozen=True)
class Who:
    """A person named in a command: a member number, or a phone number as typed."""

    number: int | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Command:
    """A well-formed command; whether it may be carried out is decided elsewhere."""

    verb: str
    who: Who | None = None
    baht: int | None = None
    ref: str | None = None  # the reference as typed, upper case, without '#'
    benefit: str | None = None  # CLAIM: birth, hospital, ...
    units: int | None = None  # CLAIM: nights in hospital, months of pension (None: not given)
    event: dt.date | None = None  # CLAIM: when it happened (None: the day it is sent)
    reason: str | None = None  # REJECT: why, in the sender's words
    again: bool = False  # PAY ... AGAIN: yes, a second payment of the same amount


@dataclass(frozen=True)
class ParseError:
    """What was wrong, as a message key, and the verb if one was recognised."""

    error: str  # unknown | usage | amount | member | ref | date
    verb: str | None = None


def normalize(text: str) -> str:
    """Thai digits to ASCII, invisible characters dropped, spaces folded."""
    text = text.translate(THAI_DIGITS).replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def _who(text: str) -> Who | None:
    compact = text.replace(" ", "")
    if MEMBER_NUMBER.fullmatch(compact):
        number = int(compact)
        return Who(number=number) if number > 0 else None
    if PHONE.fullmatch(text):
        return Who(phone=text)
    return None


def _amount(token: str) -> int | None:
    match = AMOUNT.fullmatch(token)
    if not match:
        return None
    digits = match.group(1).replace(",", "")
    if len(digits) > MAX_DIGITS:
        return None
    baht = int(digits)
    return baht if baht > 0 else None


def _again(args: list[str]) -> tuple[list[str], bool]:
    """The arguments without a trailing AGAIN/ซ้ำ (also glued to the amount: 30ซ้ำ)."""
    if not args:
        return args, False
    last = args[-1].upper()
    if last in AGAIN:
        return args[:-1], True
    for word in AGAIN:
        if last.endswith(word) and len(last) > len(word):
            return [*args[:-1], last[: -len(word)]], True
    return args, False


def _person_and_amount(verb: str, args: list[str]) -> Command | ParseError:
    again = False
    if verb == "PAY":
        args, again = _again(args)
    if len(args) < 2:
        return ParseError("usage", verb)
    baht = _amount(args[-1])
    if baht is None:
        return ParseError("amount", verb)
    who = _who(" ".join(args[:-1]))
    if who is None:
        return ParseError("member", verb)
    return Command(verb, who=who, baht=baht, again=again)


def _reference(verb: str, args: list[str]) -> Command | ParseError:
    if len(args) != 1:
        return ParseError("usage", verb)
    match = REF.fullmatch(args[0].upper())
    if not match:
        return ParseError("ref", verb)
    return Command(verb, ref=match.group(1))


def event_date(text: str) -> dt.date | None:
    """5/11/69, 5/11/2569 (Buddhist Era) or 5/11/2026: the day, or None when not a date.

    Two-digit years are Buddhist Era from 50 (69 is 2569), Common Era below (26 is 2026).
    """
    match = DATE.fullmatch(text)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    if year < 100:
        year = year + 2500 - BE_OFFSET if year >= 50 else year + 2000
    elif year >= 2400:
        year -= BE_OFFSET
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _claim(args: list[str]) -> Command | ParseError:
    """CLAIM <member> <type> [units] [date of the event]."""
    at = next((i for i, a in enumerate(args) if a.upper() in BENEFITS), None)
    if at is None or at == 0 or len(args) > at + 3:
        return ParseError("usage", "CLAIM")
    who = _who(" ".join(args[:at]))
    if who is None:
        return ParseError("member", "CLAIM")
    units, event, rest = None, None, args[at + 1 :]
    if rest and DATE_LIKE.search(rest[-1]):
        event = event_date(rest.pop())
        if event is None:
            return ParseError("date", "CLAIM")
    if len(rest) > 1:
        return ParseError("usage", "CLAIM")
    if rest:
        if not MEMBER_NUMBER.fullmatch(rest[0]) or not 0 < int(rest[0]) <= MAX_UNITS:
            return ParseError("usage", "CLAIM")
        units = int(rest[0])
    benefit = BENEFITS[args[at].upper()]
    return Command("CLAIM", who=who, benefit=benefit, units=units, event=event)


def _decision(verb: str, args: list[str]) -> Command | ParseError:
    """APPROVE <ref> / REJECT <ref> <reason>."""
    if not args or (verb == "REJECT") != (len(args) > 1):
        return ParseError("usage", verb)
    match = REF.fullmatch(args[0].upper())
    if not match:
        return ParseError("ref", verb)
    reason = " ".join(args[1:])[:200] or None
    return Command(verb, ref=match.group(1), reason=reason)


# Command words, longest first, to find one glued to what follows (Thai is typed
# without spaces: "จ่าย12 30" is "จ่าย 12 30", "ไม่อนุมัติ#01K7" is not "ไม่ …").
KEYWORDS = sorted([*ALIASES, *VERBS], key=len, reverse=True)


def _unglue(head: str) -> list[str]:
    """A first word split into command word and argument when they were typed together."""
    if ALIASES.get(head, head.upper()) in VERBS:
        return [head]
    for word in KEYWORDS:
        rest = head[len(word) :]
        if head.upper().startswith(word.upper()) and (rest[:1].isdigit() or rest[:1] == "#"):
            return [head[: len(word)], rest]
    return [head]


def parse(text: str) -> Command | ParseError:
    """Read one SMS as a command."""
    tokens = normalize(text).split(" ")
    if not tokens or not tokens[0]:
        return ParseError("unknown")
    tokens = [*_unglue(tokens[0]), *tokens[1:]]
    head = tokens[0]
    verb = ALIASES.get(head, head.upper())
    args = tokens[1:]
    if verb not in VERBS:
        return ParseError("unknown")
    if verb in ("PAY", "RCV"):
        return _person_and_amount(verb, args)
    if verb in ("OK", "NO", "UNDO"):
        return _reference(verb, args)
    if verb == "CLAIM":
        return _claim(args)
    if verb in ("APPROVE", "REJECT"):
        return _decision(verb, args)
    if verb in ("BAL", "PINRESET"):
        if not args:
            return Command(verb) if verb == "BAL" else ParseError("usage", verb)
        who = _who(" ".join(args))
        return Command(verb, who=who) if who else ParseError("member", verb)
    return Command(verb)  # SUM, HELP, STOP, START, STMT, PRIVACY: anything after is ignored
