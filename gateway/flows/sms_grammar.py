"""The SMS command grammar (README, SMS commands): text in, a Command or a ParseError out.

Case-insensitive, Thai keyword aliases, Thai digits, extra spaces ignored. Thai is typed
without spaces (`จ่าย12 30`), and villagers add what they would say aloud: a unit after
the amount, a polite particle, punctuation or an emoji, `#` before a number. People are
named by member number (short digits) or by phone number in any spelling; amounts are
whole baht. Nothing here looks anything up: that is the caller's job.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from config.conventions import REF_SHAPE
from gateway.flows.dates import BE_OFFSET

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# One Thai word, one command: `รับ` is what a collector writes for money taken from a
# member, so the treasurer's hand-over has a word of its own (`ส่งมอบ`).
ALIASES = {
    "รับ": "PAY",
    "จ่าย": "PAY",
    "สรุป": "SUM",
    "ยอด": "BAL",
    "ยอดสัจจะ": "BAL",
    "ดูยอด": "BAL",
    "ยอดเงิน": "BAL",
    "ช่วย": "HELP",
    "ช่วยด้วย": "HELP",
    "วิธีใช้": "HELP",
    "หยุด": "STOP",
    "เริ่ม": "START",
    "ส่งมอบ": "RCV",
    "รับมอบ": "RCV",
    "ตกลง": "OK",
    "ยืนยัน": "OK",
    "โอเค": "OK",
    "ไม่": "NO",
    "ไม่ยืนยัน": "NO",
    "ไม่รับ": "NO",
    "ทักท้วง": "NO",
    "ยกเลิก": "UNDO",
    "เบิก": "CLAIM",
    "สมุด": "STMT",
    "อนุมัติ": "APPROVE",
    "ไม่อนุมัติ": "REJECT",
    "ข้อมูลส่วนตัว": "PRIVACY",
}

# Benefit types as committee members say them (spaces, a leading ค่า/เงิน/สวัสดิการ and a
# dot are ignored: "ค่า ทำศพ", "นอน รพ.").
BENEFITS = {
    "BIRTH": "birth",
    "BABY": "birth",
    "คลอด": "birth",
    "คลอดบุตร": "birth",
    "คลอดลูก": "birth",
    "ทำคลอด": "birth",
    "เกิด": "birth",
    "แรกเกิด": "birth",
    "HOSPITAL": "hospital",
    "SICK": "hospital",
    "ป่วย": "hospital",
    "เจ็บป่วย": "hospital",
    "รพ": "hospital",
    "นอนรพ": "hospital",
    "โรงพยาบาล": "hospital",
    "นอนโรงพยาบาล": "hospital",
    "รักษา": "hospital",
    "รักษาพยาบาล": "hospital",
    "ELDERLY": "elderly",
    "PENSION": "elderly",
    "ชรา": "elderly",
    "สูงอายุ": "elderly",
    "ผู้สูงอายุ": "elderly",
    "คนแก่": "elderly",
    "บำนาญ": "elderly",
    "บำนาญผู้สูงอายุ": "elderly",
    "FUNERAL": "funeral",
    "DEATH": "funeral",
    "ศพ": "funeral",
    "ทำศพ": "funeral",
    "งานศพ": "funeral",
    "ฌาปนกิจ": "funeral",
    "ตาย": "funeral",
    "เสียชีวิต": "funeral",
    "DISABILITY": "disability",
    "DISABLED": "disability",
    "พิการ": "disability",
    "คนพิการ": "disability",
    "ผู้พิการ": "disability",
    "ช่วยคนพิการ": "disability",
    "EDUCATION": "education",
    "SCHOOL": "education",
    "ทุน": "education",
    "ทุนการศึกษา": "education",
    "การศึกษา": "education",
    "เรียน": "education",
    "DISASTER": "disaster",
    "ภัย": "disaster",
    "ภัยพิบัติ": "disaster",
    "น้ำท่วม": "disaster",
    "ไฟไหม้": "disaster",
    "OTHER": "other",
    "อื่น": "other",
    "อื่นๆ": "other",
}
BENEFIT_PREFIXES = ("สวัสดิการ", "เงิน", "ค่า")
MAX_BENEFIT_WORDS = 3  # "ค่า นอน โรงพยาบาล"
# What may follow the number of units of a claim: "3 คืน", "2 nights".
UNIT_WORDS = {"คืน", "วัน", "เดือน", "ครั้ง", "NIGHT", "NIGHTS", "DAY", "DAYS", "MONTH", "MONTHS"}
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
MEMBER_NUMBER = re.compile(r"#?([0-9]{1,6})")
# A phone number spread over words starts as a phone does (0…, +66…, 66…).
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{7,18}")
SPREAD_PHONE = re.compile(r"(?:\+|0|66)[0-9 ()-]{7,18}")
REF = re.compile(REF_SHAPE)
BAHT_UNITS = ("บาท", "บ", "฿", "BAHT", "BATH", "THB")  # "บ." loses its dot as punctuation
AMOUNT = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0{1,2})?(?:บาท|บ\.?|฿|BAHT|BATH|THB)?")
DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})")
DATE_LIKE = re.compile(r"[/-]|[0-9][.][0-9]+[.]")
MAX_DIGITS = 9  # more than 999 million baht is a typo, not a payment
# A second payment of the same amount is confirmed with one of these after the amount.
AGAIN = ("ซ้ำ", "AGAIN")
# Polite particles end a spoken sentence; they mean nothing to a command.
PARTICLES = sorted(
    ["ค่ะ", "คะ", "ค่า", "ครับ", "คับ", "ครับผม", "นะ", "นะคะ", "นะครับ", "จ้า", "จ้ะ", "จ๊ะ", "ฮะ"],
    key=len,
    reverse=True,
)
# Marks an emoji is built of besides its symbols: variation selectors, the keycap.
EMOJI_MARKS = {"\ufe0e", "\ufe0f", "\u20e3"}
THAI_LETTER = "\u0e01-\u0e4f"
# Where Thai letters meet digits (or '#') there is a word boundary, typed or not.
THAI_DIGIT_SEAM = re.compile(rf"(?<=[{THAI_LETTER}])(?=[0-9#])|(?<=[0-9])(?=[{THAI_LETTER}])")


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
    reason: str | None = None  # NO, REJECT: why, in the sender's words
    again: bool = False  # PAY/RCV ... AGAIN: yes, a second one of the same amount


@dataclass(frozen=True)
class ParseError:
    """What was wrong, as a message key, and the verb if one was recognised."""

    error: str  # unknown | usage | amount | member | ref | benefit | date
    verb: str | None = None
    # The command word as it was typed (จ่าย, รับ, PAY), so the reply shows the same word.
    word: str | None = field(default=None, compare=False)


def normalize(text: str) -> str:
    """Thai digits to ASCII, invisible characters dropped, spaces folded."""
    text = text.translate(THAI_DIGITS).replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def _decoration(char: str) -> bool:
    """Punctuation, a symbol or an emoji's mark: what may trail a word without meaning."""
    kind = unicodedata.category(char)
    return kind[0] in "PS" or kind == "Cf" or char in EMOJI_MARKS


def _trim(token: str) -> str:
    """A word without trailing punctuation or emoji, nor a leading symbol (฿30, 🙏30)."""
    end = len(token)
    while end and _decoration(token[end - 1]) and token[end - 1] != ")":
        end -= 1
    start = 0
    while start < end and unicodedata.category(token[start]) in ("So", "Sc", "Sk"):
        start += 1
    return token[start:end]


def _without_particle(token: str) -> str:
    """A known word with a polite particle typed onto it (ยอดค่ะ), without the particle."""
    for particle in PARTICLES:
        base = token[: -len(particle)]
        if token.endswith(particle) and base and _known(base):
            return base
    return token


def _known(word: str) -> bool:
    """A command word, benefit, unit or AGAIN: what a particle may be glued to."""
    upper = word.upper()
    return (
        upper in VERBS
        or word in ALIASES
        or upper in BENEFITS
        or upper in BAHT_UNITS
        or upper in UNIT_WORDS
        or upper in AGAIN
    )


def tokens(text: str) -> list[str]:
    """The words of a message, decoration and trailing particles gone, Thai and digits apart."""
    words: list[str] = []
    for raw in normalize(text).split(" "):
        words += THAI_DIGIT_SEAM.sub(" ", _trim(raw)).split()
    while words and words[-1] in PARTICLES:
        words.pop()
    if words:
        words[-1] = _without_particle(words[-1])
        words[0] = _without_particle(words[0])
    if len(words) > 1 and words[1] in PARTICLES:  # "ยอด ค่ะ 12"
        del words[1]
    return words


def _who(args: list[str]) -> Who | None:
    """A member number (one word, `#` allowed) or a phone number (any spelling)."""
    if len(args) == 1 and (match := MEMBER_NUMBER.fullmatch(args[0])):
        number = int(match.group(1))
        return Who(number=number) if number > 0 else None
    text = " ".join(args)
    if (len(args) == 1 and PHONE.fullmatch(text)) or SPREAD_PHONE.fullmatch(text):
        return Who(phone=text)
    return None


def _amount(token: str) -> int | None:
    match = AMOUNT.fullmatch(token.upper())
    if not match:
        return None
    digits = match.group(1).replace(",", "")
    if len(digits) > MAX_DIGITS:
        return None
    baht = int(digits)
    return baht if baht > 0 else None


def _again(args: list[str]) -> tuple[list[str], bool]:
    """The arguments without a trailing AGAIN/ซ้ำ (also glued to the amount: 30AGAIN)."""
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
    """PAY/RCV <member> <baht> [บาท] [AGAIN]."""
    args, again = _again(args)
    if len(args) > 2 and args[-1].upper() in BAHT_UNITS:
        args = args[:-1]
    if len(args) < 2:
        return ParseError("usage", verb)
    baht = _amount(args[-1])
    if baht is None:
        return ParseError("amount", verb)
    who = _who(args[:-1])
    if who is None:
        # One word that names nobody is a wrong member; several are a wrong form.
        return ParseError("member" if len(args) == 2 else "usage", verb)
    return Command(verb, who=who, baht=baht, again=again)


def _ref(token: str) -> str | None:
    match = REF.fullmatch(token.upper())
    return match.group(1) if match else None


def _reference(verb: str, args: list[str]) -> Command | ParseError:
    """OK/UNDO <ref> [a word], NO <ref> [reason]: never a second number after the ref."""
    if not args:
        return ParseError("usage", verb)
    ref = _ref(args[0])
    if ref is None:
        return ParseError("ref", verb)
    rest = args[1:]
    if verb != "NO" and any(any(c.isdigit() for c in word) for word in rest):
        return ParseError("usage", verb)  # "OK 12345 12346", "OK 12345 30": which?
    if rest and _ref(rest[0]) and rest[0].lstrip("#").isdigit():
        return ParseError("usage", verb)  # "NO 12345 12346": two references, one answer
    reason = " ".join(rest)[:200] if verb == "NO" else ""
    return Command(verb, ref=ref, reason=reason or None)


def _benefit(words: list[str]) -> str | None:
    """The benefit some consecutive words name, as one word without prefixes."""
    name = "".join(words).upper().rstrip(".")
    for prefix in BENEFIT_PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :] in BENEFITS:
            name = name[len(prefix) :]
    return BENEFITS.get(name)


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
    """CLAIM <member> <type> [units [คืน]] [date of the event]: the type may be several words."""
    for at in range(1, len(args)):
        for size in range(min(MAX_BENEFIT_WORDS, len(args) - at), 0, -1):
            benefit = _benefit(args[at : at + size])
            if benefit is not None:
                return _claim_of(args[:at], benefit, args[at + size :])
    if args and _who(args[:1]) is not None and len(args) > 1:
        return ParseError("benefit", "CLAIM")
    return ParseError("usage", "CLAIM")


def _claim_of(who_words: list[str], benefit: str, rest: list[str]) -> Command | ParseError:
    who = _who(who_words)
    if who is None:
        return ParseError("member", "CLAIM")
    event = None
    if rest and DATE_LIKE.search(rest[-1]):
        event = event_date(rest[-1])
        if event is None:
            return ParseError("date", "CLAIM")
        rest = rest[:-1]
    if rest and rest[-1].upper() in UNIT_WORDS:
        rest = rest[:-1]
    units = None  # a count is asked for, never assumed (a hospital claim needs its nights)
    if rest:
        if len(rest) > 1 or not rest[0].isdigit() or not 0 < int(rest[0]) <= MAX_UNITS:
            return ParseError("usage", "CLAIM")
        units = int(rest[0])
    return Command("CLAIM", who=who, benefit=benefit, units=units, event=event)


def _decision(verb: str, args: list[str]) -> Command | ParseError:
    """APPROVE <ref> [a word] / REJECT <ref> <reason>."""
    if not args:
        return ParseError("usage", verb)
    ref = _ref(args[0])
    if ref is None:
        return ParseError("ref", verb)
    if verb == "REJECT":
        reason = " ".join(args[1:])[:200]
        return Command(verb, ref=ref, reason=reason) if reason else ParseError("usage", verb)
    if any(any(c.isdigit() for c in word) for word in args[1:]):
        return ParseError("usage", verb)
    return Command(verb, ref=ref)


# Command words, longest first, to find one glued to what follows (Thai is typed
# without spaces: "จ่าย12 30" is "จ่าย 12 30", "ไม่อนุมัติ#12340" is not "ไม่ …").
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


def _with_word(result: Command | ParseError, word: str) -> Command | ParseError:
    if isinstance(result, ParseError):
        return ParseError(result.error, result.verb, word=word if word in ALIASES else word.upper())
    return result


def parse(text: str) -> Command | ParseError:
    """Read one SMS as a command."""
    words = tokens(text)
    if not words:
        return ParseError("unknown")
    words = [*_unglue(words[0]), *words[1:]]
    head, args = words[0], words[1:]
    verb = ALIASES.get(head, head.upper())
    if verb not in VERBS:
        return ParseError("unknown")
    return _with_word(_read(verb, args), head)


def _read(verb: str, args: list[str]) -> Command | ParseError:
    """The arguments of a known command word."""
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
        who = _who(args)
        if who is None:
            return ParseError("member" if len(args) == 1 else "usage", verb)
        return Command(verb, who=who)
    return Command(verb)  # SUM, HELP, STOP, START, STMT, PRIVACY: anything after is ignored
