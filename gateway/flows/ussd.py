"""The member's USSD menu as a pure function: (caller, inputs so far) -> screen, effects.

Africa's Talking sends every input of a session joined by '*'. The menu is rebuilt by
folding those inputs from the top each hop, so no session store is needed and any
gateway process can answer any hop. Only the last input's effects are returned; the
host applies them once per (session, hop). A PIN typed at an earlier hop is not
checked again: its verdict, recorded when it was the last hop, comes in `verdicts`; so
does a new PIN set at an earlier hop (True), without which the session is not ours.

Conventions on every screen that needs them: 0 back, 00 main menu, 98 more.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from config.conventions import SATANG_PER_BAHT
from gateway.flows.dates import format_date
from gateway.flows.gsm import ussd_budget
from gateway.flows.money import format_baht
from gateway.flows.sms_grammar import THAI_DIGITS
from gateway.flows.texts import fill, pick_standing

BACK, MAIN, MORE = "0", "00", "98"
MAX_TRIES = 3
PIN = re.compile(r"[0-9]{4}")
WHOLE = re.compile(r"[0-9]{1,6}")
HISTORY_PAGE = 2
RATES_PAGE = 2
CLAIMS_PAGE = 1  # a claim line is long in Thai: one a screen
COLLECTOR_PAGE = 4  # at most; fewer when long names would not fit the screen


class Node(enum.StrEnum):
    """The screens of the menu; the last ones (an END) are named for what happened."""

    BALANCE = "balance"
    BALANCE_MORE = "balance_more"
    CANCELLED = "cancelled"
    DECLARED = "declared"
    HISTORY = "history"
    LANGUAGE = "language"
    LANGUAGE_SET = "language_set"
    LOCKED = "locked"
    MAIN = "main"
    NO_COLLECTORS = "no_collectors"
    PAY_AMOUNT = "pay_amount"
    PAY_COLLECTOR = "pay_collector"
    PAY_CONFIRM = "pay_confirm"
    PAY_PIN = "pay_pin"
    PAY_PIN_AGAIN = "pay_pin_again"
    PAY_PIN_NEW = "pay_pin_new"
    PIN_AGAIN = "pin_again"
    PIN_CHANGED = "pin_changed"
    PIN_NEW = "pin_new"
    PIN_OLD = "pin_old"
    SENT = "sent"
    TOO_MANY = "too_many"
    WELFARE = "welfare"
    WELFARE_CLAIMS = "welfare_claims"
    WELFARE_RATES = "welfare_rates"


@dataclass(frozen=True)
class Payment:
    """One of the member's payments, as the history screen shows it."""

    day: dt.date
    amount: int  # satang
    state: str  # pending | confirmed | rejected | reversed
    ref: str


@dataclass(frozen=True)
class Collector:
    """A collector the member may have handed cash to."""

    number: int
    name: str  # as the list shows it: told apart from a namesake (models: LiveCaller)
    village: str | None = None  # their หมู่, to list the member's own village's first


@dataclass(frozen=True)
class BenefitLine:
    """One benefit of the group's schedule, as the welfare screen lists it."""

    type: str  # birth, hospital, ...
    amount: int  # satang per unit, at the caller's years of membership
    unit: str  # event | night | month


@dataclass(frozen=True)
class ClaimLine:
    """One of the caller's welfare claims."""

    day: dt.date
    type: str
    amount: int  # satang
    status: str  # filed | paid | rejected


@dataclass(frozen=True)
class Caller:
    """What the menu may show about the caller (the host passes a lazy look-alike)."""

    lang: str
    balance: int  # satang
    paid_through: dt.date
    days_behind: int
    waiting_days_left: int
    fund_total: int  # satang
    daily_rate: int  # satang
    collectors: tuple[Collector, ...]
    payments: tuple[Payment, ...]
    has_pin: bool
    pin_locked: bool
    phone_tail: str = ""  # the last four digits of the caller's phone
    benefits: tuple[BenefitLine, ...] = ()
    claims: tuple[ClaimLine, ...] = ()
    usual_collector: int | None = None  # the member number of the collector they usually pay
    village: str | None = None  # the member's หมู่
    lapsed: bool = False
    lapse_on: dt.date | None = None  # set within 30 days of lapsing (models/lapse.py)
    return_until: dt.date | None = None  # a lapsed member may return by paying up until then


# -- effects: data the host applies ---------------------------------------------------


@dataclass(frozen=True)
class CheckPin:
    """Verify this PIN (counting a wrong one) before the screen can be chosen."""

    pin: str


@dataclass(frozen=True)
class SetPin:
    """Store a new PIN (the host hashes it)."""

    pin: str


@dataclass(frozen=True)
class SetLanguage:
    """Remember the caller's language."""

    lang: str


@dataclass(frozen=True)
class Declare:
    """Record a payment handed to a collector, pending the collector's OK."""

    amount: int  # satang
    collector_number: int


@dataclass(frozen=True)
class SendBalance:
    """Send the balance screen's figures by SMS."""


Effect = CheckPin | SetPin | SetLanguage | Declare | SendBalance


@dataclass(frozen=True)
class Screen:
    """What the phone shows; `end` closes the session."""

    text: str
    end: bool = False


@dataclass(frozen=True)
class State:
    """Where the fold stands: a node, its data, and how many bad inputs in a row."""

    node: Node = Node.MAIN
    data: dict[str, object] = field(default_factory=dict)
    tries: int = 0
    hint: bool = False
    lang: str | None = None  # a language picked in this session

    # Built directly, not with dataclasses.replace: a hop's fold makes a State per input,
    # and replace's field walk was two fifths of a PIN hop's menu time (bench/RESULTS.md).
    def at(self, node: Node, **data: object) -> State:
        """Move to a node with fresh tries."""
        return State(node, {**self.data, **data} if data else self.data, 0, False, self.lang)

    def bad(self, **data: object) -> State:
        """Stay, one more bad input in a row, with the 'try again' hint."""
        return State(
            self.node, {**self.data, **data} if data else self.data, self.tries + 1, True, self.lang
        )


@dataclass(frozen=True)
class Result:
    """The answer to one hop."""

    screen: Screen
    effects: tuple[Effect, ...] = ()
    node: Node = Node.MAIN
    needs_pin_check: str | None = None  # the PIN typed at this hop, if it must be checked
    tries: int = 0  # bad inputs in a row on this screen
    # An earlier hop had effects: the answer depends on what the host recorded then.
    after_effects: bool = False


PARENT = {
    Node.BALANCE: Node.MAIN,
    Node.BALANCE_MORE: Node.BALANCE,
    Node.PAY_AMOUNT: Node.MAIN,
    Node.PAY_COLLECTOR: Node.PAY_AMOUNT,
    Node.PAY_PIN: Node.PAY_COLLECTOR,
    Node.PAY_PIN_NEW: Node.PAY_COLLECTOR,
    Node.PAY_PIN_AGAIN: Node.PAY_PIN_NEW,
    Node.PAY_CONFIRM: Node.PAY_COLLECTOR,
    Node.HISTORY: Node.MAIN,
    Node.WELFARE: Node.MAIN,
    Node.WELFARE_RATES: Node.WELFARE,
    Node.WELFARE_CLAIMS: Node.WELFARE,
    Node.LANGUAGE: Node.MAIN,
    Node.PIN_OLD: Node.MAIN,
    Node.PIN_NEW: Node.PIN_OLD,
    Node.PIN_AGAIN: Node.PIN_NEW,
}
PIN_NODES = {Node.PAY_PIN, Node.PIN_OLD}


def split_inputs(text: str) -> list[str]:
    """The inputs of a session from Africa's Talking's text ('' is the first hop)."""
    if text == "":
        return []
    return [part.translate(THAI_DIGITS).strip() for part in text.split("*")]


def _menu_choice(choice: str) -> Node | None:
    return {
        "1": Node.BALANCE,
        "2": Node.PAY_AMOUNT,
        "3": Node.HISTORY,
        "4": Node.WELFARE,
        "5": Node.LANGUAGE,
        "6": Node.PIN_OLD,
    }.get(choice)


def step(
    caller: Caller, state: State, value: str, verdict: bool | None
) -> tuple[State, tuple[Effect, ...]]:
    """Apply one input to the state; return the new state and this input's effects."""
    if value == MAIN:
        return State(lang=state.lang), ()
    node = state.node
    if value == BACK and node in PARENT:
        return state.at(PARENT[node]), ()
    if node == Node.MAIN:
        target = _menu_choice(value)
        if target is None:
            return state.bad(), ()
        if target in (Node.PAY_AMOUNT, Node.PIN_OLD) and caller.pin_locked:
            return state.at(Node.LOCKED), ()
        if target == Node.PIN_OLD and not caller.has_pin:
            return state.at(Node.PIN_NEW), ()
        return state.at(target, page=0), ()
    if node == Node.BALANCE:
        if value == "1":
            return state.at(Node.SENT), (SendBalance(),)
        if value == MORE:
            return state.at(Node.BALANCE_MORE), ()
        return state.bad(), ()
    if node == Node.BALANCE_MORE:
        if value == "1":
            return state.at(Node.SENT), (SendBalance(),)
        return state.bad(), ()
    if node == Node.HISTORY:
        return _next_page(state, value, len(caller.payments), HISTORY_PAGE)
    if node == Node.WELFARE:
        if value in ("1", "2"):
            return state.at(Node.WELFARE_RATES if value == "1" else Node.WELFARE_CLAIMS, page=0), ()
        return state.bad(), ()
    if node == Node.WELFARE_RATES:
        return _next_page(state, value, len(caller.benefits), RATES_PAGE)
    if node == Node.WELFARE_CLAIMS:
        return _next_page(state, value, len(caller.claims), CLAIMS_PAGE)
    if node == Node.LANGUAGE:
        if value in ("1", "2"):
            lang = "th" if value == "1" else "en"
            return replace(state.at(Node.LANGUAGE_SET), lang=lang), (SetLanguage(lang),)
        return state.bad(), ()
    if node == Node.PAY_AMOUNT:
        most = 365 * caller.daily_rate
        if not WHOLE.fullmatch(value) or not 0 < int(value) * SATANG_PER_BAHT <= most:
            return state.bad(), ()
        if not caller.collectors:
            return state.at(Node.NO_COLLECTORS), ()
        return state.at(Node.PAY_COLLECTOR, amount=int(value) * SATANG_PER_BAHT, page=0), ()
    if node == Node.PAY_COLLECTOR:
        listed = ordered_collectors(caller)
        if value == MORE and state.data["page"] + 1 < len(collector_pages(caller)):
            return state.at(Node.PAY_COLLECTOR, page=state.data["page"] + 1), ()
        if not WHOLE.fullmatch(value) or not 1 <= int(value) <= len(listed):
            return state.bad(), ()
        next_node = Node.PAY_PIN if caller.has_pin else Node.PAY_PIN_NEW
        return state.at(next_node, collector=listed[int(value) - 1].number), ()
    if node in (Node.PAY_PIN, Node.PIN_OLD):
        if not PIN.fullmatch(value):
            return state.bad(), ()
        if verdict is None:
            return state, (CheckPin(value),)
        if not verdict:
            return state.bad(wrong=True), ()
        return state.at(Node.PAY_CONFIRM if node == Node.PAY_PIN else Node.PIN_NEW), ()
    if node in (Node.PAY_PIN_NEW, Node.PIN_NEW):
        if not PIN.fullmatch(value):
            return state.bad(), ()
        if guessable_pin(value, caller.phone_tail):
            return state.bad(weak=True), ()
        again = Node.PAY_PIN_AGAIN if node == Node.PAY_PIN_NEW else Node.PIN_AGAIN
        return state.at(again, new_pin=value), ()
    if node in (Node.PAY_PIN_AGAIN, Node.PIN_AGAIN):
        if value != state.data.get("new_pin"):
            back = Node.PAY_PIN_NEW if node == Node.PAY_PIN_AGAIN else Node.PIN_NEW
            return replace(state.at(back), hint=True, tries=state.tries + 1), ()
        if node == Node.PAY_PIN_AGAIN:
            return state.at(Node.PAY_CONFIRM, pin_set=True), (SetPin(value),)
        return state.at(Node.PIN_CHANGED), (SetPin(value),)
    if node == Node.PAY_CONFIRM:
        if value == "1":
            effect = Declare(state.data["amount"], state.data["collector"])
            return state.at(Node.DECLARED), (effect,)
        if value == "2":
            return state.at(Node.CANCELLED), ()
        return state.bad(), ()
    return state.bad(), ()


def guessable_pin(pin: str, phone_tail: str) -> bool:
    """A PIN anyone would try first: one digit four times, a run up or down, the phone's end."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {-1}) or pin == phone_tail


def _next_page(
    state: State, value: str, count: int, per_page: int
) -> tuple[State, tuple[Effect, ...]]:
    """98 turns the page of a list while there is more; anything else is a bad input."""
    pages = max(1, -(-count // per_page))
    if value == MORE and state.data["page"] + 1 < pages:
        return state.at(state.node, page=state.data["page"] + 1), ()
    return state.bad(), ()


def ordered_collectors(caller: Caller) -> tuple[Collector, ...]:
    """The member's usual collector first, then those of their own หมู่, then the rest."""
    return tuple(
        sorted(
            caller.collectors,
            key=lambda c: (
                c.number != caller.usual_collector,
                not (caller.village and c.village == caller.village),
            ),
        )
    )


def collector_pages(caller: Caller) -> list[list[str]]:
    """The collector list's lines, numbered on from page to page, in pages that fit a screen."""
    t = USSD_TEXTS[caller.lang if caller.lang in USSD_TEXTS else "th"]
    lines = [f"{i} {c.name}" for i, c in enumerate(ordered_collectors(caller), start=1)]
    pages: list[list[str]] = [[]]
    for line in lines:
        page = pages[-1]
        trial = "\n".join([t["pay_collector"], *page, line, t["more_back"]])
        if page and (len(page) == COLLECTOR_PAGE or len(trial) > ussd_budget(trial)):
            pages.append([])
        pages[-1].append(line)
    return pages


class Fold(NamedTuple):
    """The menu part-way through a session's inputs: where it stands, or its answer once decided."""

    # A tuple: one is made per input, and a frozen dataclass sets each field in turn.
    state: State
    hops: int = 0  # inputs taken
    after: bool = False  # an input taken before had effects
    answer: Result | None = None  # decided: the inputs after it change nothing


def fold(
    caller: Caller,
    inputs: list[str],
    verdicts: dict[int, bool],
    upto: int,
    start: Fold | None = None,
) -> Fold:
    """The menu after the first `upto` of `inputs`, going on from `start` if given.

    `start` must be a fold of the same inputs with the same verdicts for the hops it took:
    a hop's answers with the PIN right and wrong share the fold of every input before it.
    """
    at = start or Fold(State())
    for hop in range(at.hops, upto):
        if at.answer is not None:
            break
        at = _take(caller, at, inputs[hop], verdicts.get(hop), last=hop == len(inputs) - 1)
    return at


def answer(
    caller: Caller, inputs: list[str], verdicts: dict[int, bool], start: Fold | None = None
) -> Result:
    """The screen and effects for the last of `inputs` (the first hop has none)."""
    done = fold(caller, inputs, verdicts, len(inputs), start)
    if done.answer is not None:
        return done.answer
    return Result(_screen(caller, done.state), node=done.state.node)  # no inputs: the main menu


def _take(caller: Caller, at: Fold, value: str, verdict: bool | None, *, last: bool) -> Fold:
    """One more input: the fold goes on, or is decided."""
    state, effects = step(caller, at.state, value, verdict)
    hops, after = at.hops + 1, at.after
    if state.tries >= MAX_TRIES:
        screen = _screen(caller, state.at(Node.TOO_MANY))
        return Fold(state, hops, after, Result(screen, node=Node.TOO_MANY, after_effects=after))
    if effects and isinstance(effects[0], CheckPin):
        if last:
            pin = effects[0].pin
            check = Result(Screen(""), node=state.node, needs_pin_check=pin, after_effects=after)
            return Fold(state, hops, after, check)
        # An earlier PIN hop without a recorded verdict: the session is not ours.
        screen = _screen(caller, state.at(Node.TOO_MANY))
        return Fold(state, hops, True, Result(screen, node=Node.TOO_MANY, after_effects=True))
    if not last and effects and isinstance(effects[0], SetPin) and verdict is not True:
        # A new PIN at an earlier hop that no hop of ours stored: a forged text would
        # otherwise declare a payment behind a PIN that was never set.
        screen = _screen(caller, state.at(Node.TOO_MANY))
        return Fold(state, hops, True, Result(screen, node=Node.TOO_MANY, after_effects=True))
    if last or state.node in ENDS:
        if not last:
            # The session ended at an earlier hop, whose effects were applied then;
            # inputs after an END (a forged or replayed text) change nothing.
            after, effects = after or bool(effects), ()
        done = Result(
            _screen(caller, state), effects, state.node, tries=state.tries, after_effects=after
        )
        return Fold(state, hops, after, done)
    return Fold(state, hops, after or bool(effects))


ENDS = {
    Node.SENT,
    Node.DECLARED,
    Node.CANCELLED,
    Node.LANGUAGE_SET,
    Node.PIN_CHANGED,
    Node.LOCKED,
    Node.NO_COLLECTORS,
    Node.TOO_MANY,
}


def _screen(caller: Caller, state: State) -> Screen:
    """The screen for a state; the 'try again' line is left off where it would not fit."""
    screen = _compose(caller, state)
    if state.hint and len(screen.text) > ussd_budget(screen.text):
        return _compose(caller, replace(state, hint=False))
    return screen


def _compose(caller: Caller, state: State) -> Screen:
    lang = state.lang or caller.lang
    t = USSD_TEXTS[lang if lang in USSD_TEXTS else "th"]
    node = state.node
    hint = t["hint"] if state.hint else ""
    if node == Node.MAIN:
        return Screen(hint + t["main"])
    if node == Node.BALANCE:
        text = t["balance"].format(
            total=format_baht(caller.balance),
            date=format_date(caller.paid_through, lang),
            state=pick_standing(t, caller.days_behind),
        )
        return Screen(hint + text)
    if node == Node.BALANCE_MORE:
        welfare = _membership(t, caller, lang) or (
            t["eligible"]
            if caller.waiting_days_left == 0
            else fill(t["waiting"], days=caller.waiting_days_left)
        )
        return Screen(
            hint + t["balance_more"].format(welfare=welfare, fund=format_baht(caller.fund_total))
        )
    if node == Node.HISTORY:
        return Screen(hint + _history(t, caller, state.data["page"], lang))
    if node == Node.WELFARE:
        status = (
            t["eligible"]
            if caller.waiting_days_left == 0
            else fill(t["waiting"], days=caller.waiting_days_left)
        )
        return Screen(hint + t["welfare"].format(status=status))
    if node == Node.WELFARE_RATES:
        return Screen(hint + _rates(t, caller, state.data["page"]))
    if node == Node.WELFARE_CLAIMS:
        return Screen(hint + _claims(t, caller, state.data["page"], lang))
    if node == Node.LANGUAGE:
        return Screen(hint + t["language"])
    if node == Node.PAY_AMOUNT:
        most = format_baht(365 * caller.daily_rate)
        return Screen(hint + t["pay_amount"].format(max=most))
    if node == Node.PAY_COLLECTOR:
        return Screen(hint + _collectors(t, caller, state.data.get("page", 0)))
    if node in (Node.PAY_PIN, Node.PIN_OLD):
        wrong = t["pin_wrong"] if state.data.get("wrong") and state.hint else hint
        return Screen(wrong + t["pin_enter"])
    if node in (Node.PAY_PIN_NEW, Node.PIN_NEW):
        weak = t["pin_weak"] if state.data.get("weak") and state.hint else hint
        return Screen(weak + t["pin_new"])
    if node in (Node.PAY_PIN_AGAIN, Node.PIN_AGAIN):
        return Screen(hint + t["pin_again"])
    if node == Node.PAY_CONFIRM:
        collector = next(c for c in caller.collectors if c.number == state.data["collector"])
        return Screen(
            t["pay_confirm"].format(amount=format_baht(state.data["amount"]), name=collector.name)
        )
    text = t[node] if node in t else t["too_many"]
    return Screen(text, end=True)


def _membership(t: dict[str, str], caller: Caller, lang: str) -> str | None:
    """Lapse and return, in place of the welfare line: lapsed, or lapsing soon."""
    if caller.lapsed:
        if caller.return_until is None:
            return t["lapsed_rejoin"]
        return t["lapsed_return"].format(date=format_date(caller.return_until, lang))
    if caller.lapse_on is not None:
        return t["lapsing"].format(date=format_date(caller.lapse_on, lang))
    return None


def _history(t: dict[str, str], caller: Caller, page: int, lang: str) -> str:
    lines = [
        f"{format_date(p.day, lang, short=True)} {format_baht(p.amount)}{t['baht']}"
        f" {t['state_' + p.state]}"
        for p in caller.payments
    ]
    return _page(t, lines, page, HISTORY_PAGE, "history_empty")


def _page(t: dict[str, str], lines: list[str], page: int, per_page: int, empty: str) -> str:
    if not lines:
        return t[empty]
    shown = lines[page * per_page : (page + 1) * per_page]
    more = (page + 1) * per_page < len(lines)
    return "\n".join(shown) + "\n" + (t["more_back"] if more else t["back"])


def _rates(t: dict[str, str], caller: Caller, page: int) -> str:
    lines = [
        f"{t['benefit_' + b.type]} {format_baht(b.amount)}{t['per_' + b.unit]}"
        for b in caller.benefits
    ]
    return _page(t, lines, page, RATES_PAGE, "rates_empty")


def _claims(t: dict[str, str], caller: Caller, page: int, lang: str) -> str:
    lines = [
        f"{format_date(c.day, lang, short=True)} {t['benefit_' + c.type]}"
        f" {format_baht(c.amount)}{t['baht']}"
        f" {t['claim_' + c.status]}"
        for c in caller.claims
    ]
    return _page(t, lines, page, CLAIMS_PAGE, "claims_empty")


def _collectors(t: dict[str, str], caller: Caller, page: int) -> str:
    pages = collector_pages(caller)
    footer = t["more_back"] if page + 1 < len(pages) else t["back_only"]
    return "\n".join([t["pay_collector"], *pages[page], footer])


USSD_TEXTS = {
    "th": {
        # 72 characters, so that "ลองใหม่" above it still fits the 80 of a Thai screen.
        "main": "1 ยอดสัจจะ\n2 แจ้งส่งสัจจะ\n3 รายการส่ง\n4 สวัสดิการ\n5 ภาษา/Lang\n6 รหัส PIN",
        "hint": "ลองใหม่\n",
        "balance": "ยอดสัจจะ {total} บ.\nส่งถึง {date}\n{state}\n1 SMS 98 ต่อ 0 กลับ",
        "balance_more": "{welfare}\nเงินกองทุน {fund} บ.\n1 SMS 0 กลับ",
        "eligible": "มีสิทธิ์รับสวัสดิการ",
        "lapsing": "ส่งให้ครบก่อน {date} จะไม่พ้นสภาพ",
        "lapsed_return": "พ้นสภาพแล้ว ส่งครบก่อน {date}",
        "lapsed_rejoin": "พ้นสภาพแล้ว สมัครใหม่ได้",
        "waiting": "อีก {days} วันจึงมีสิทธิ์",
        "behind": "ค้างส่ง {days} วัน",
        "ahead": "ล่วงหน้า {days} วัน",
        "even": "ส่งครบถึงวันนี้",
        "sent": "ส่ง SMS ให้แล้วค่ะ",
        "history_empty": "ยังไม่มีรายการส่งสัจจะ\n0 กลับ",
        "more_back": "98 ต่อ 0 กลับ",
        "back": "0 กลับ 00 หน้าแรก",
        "state_pending": "รอยืนยัน",
        "state_confirmed": "ยืนยันแล้ว",
        "state_rejected": "ไม่ยืนยัน",
        "state_reversed": "ยกเลิกแล้ว",
        "welfare": "สวัสดิการ: {status}\n1 อัตราสวัสดิการ\n2 คำขอของท่าน\n0 กลับ",
        "rates_empty": "ยังไม่มีอัตราสวัสดิการ\n0 กลับ",
        "claims_empty": "ยังไม่มีคำขอ\n0 กลับ",
        "benefit_birth": "คลอดบุตร",
        "benefit_hospital": "นอนโรงพยาบาล",
        "benefit_elderly": "ผู้สูงอายุ",
        "benefit_funeral": "ค่าทำศพ",
        "benefit_disability": "ช่วยคนพิการ",
        "benefit_education": "ทุนการศึกษา",
        "benefit_disaster": "ภัยพิบัติ",
        "benefit_other": "อื่นๆ",
        "baht": " บ.",  # every amount with its unit, also in a list (docs/THAI.md)
        "per_event": " บ./ครั้ง",
        "per_night": " บ./คืน",
        "per_month": " บ./เดือน",
        "claim_filed": "รออนุมัติ",
        "claim_paid": "มอบแล้ว",
        "claim_rejected": "ไม่อนุมัติ",
        "claim_reversed": "ยกเลิกแล้ว",
        "language": "เลือกภาษา\n1 ไทย\n2 English\n0 กลับ",
        "language_set": "ใช้ภาษาไทยแล้วค่ะ",
        "pay_amount": "ส่งให้ผู้เก็บเงินแล้วกี่บาท\n(ไม่เกิน {max} บ.)\n0 กลับ",
        "pay_collector": "ให้ผู้เก็บคนไหน",
        "back_only": "0 กลับ",
        "pin_enter": "ใส่รหัส PIN 4 หลัก",
        "pin_wrong": "รหัส PIN ไม่ถูก\n",
        "pin_new": "ตั้งรหัส PIN 4 หลัก",
        "pin_weak": "รหัสนี้เดาง่าย ขอรหัสอื่นค่ะ\n",
        "pin_again": "ใส่รหัส PIN อีกครั้ง",
        "pay_confirm": "แจ้งส่งสัจจะ {amount} บ. ให้ {name}\n1 ยืนยัน\n2 ยกเลิก",
        "declared": "แจ้งแล้ว #{ref} รอผู้เก็บเงินยืนยันค่ะ",
        "cancelled": "ยกเลิกแล้วค่ะ",
        "pin_changed": "บันทึกรหัส PIN ใหม่แล้วค่ะ",
        "locked": "ใส่รหัส PIN ผิด 3 ครั้ง รอ 30 นาทีแล้วลองใหม่ค่ะ",
        "no_collectors": "กองทุนยังไม่มีผู้เก็บเงิน โปรดติดต่อกรรมการค่ะ",
        "too_many": "ขออภัย ลองใหม่ภายหลังค่ะ",
    },
    "en": {
        "main": "1 Balance\n2 Record a payment\n3 Last payments\n4 Welfare\n5 Language/ภาษา\n6 PIN",
        "hint": "Please try again\n",
        "balance": "Given {total} baht\nPaid through {date}\n{state}\n1 SMS me 98 More 0 Back",
        "balance_more": "{welfare}\nFund total {fund} baht\n1 SMS me 0 Back",
        "eligible": "Welfare: eligible",
        "lapsing": "Lapses on {date} unless paid",
        "lapsed_return": "Lapsed: pay up by {date} to return",
        "lapsed_rejoin": "Lapsed: you may join again",
        "waiting": "Welfare in {days:day/days}",
        "behind": "{days:day/days} behind",
        "ahead": "{days:day/days} ahead",
        "even": "Up to date",
        "sent": "We have sent you an SMS.",
        "history_empty": "No payments yet\n0 Back",
        "more_back": "98 More 0 Back",
        "back": "0 Back 00 Main",
        "state_pending": "waiting",
        "state_confirmed": "confirmed",
        "state_rejected": "rejected",
        "state_reversed": "reversed",
        "welfare": "Welfare: {status}\n1 Benefits\n2 My claims\n0 Back",
        "rates_empty": "No benefits listed yet\n0 Back",
        "claims_empty": "No claims yet\n0 Back",
        "benefit_birth": "Birth",
        "benefit_hospital": "Hospital",
        "benefit_elderly": "Elderly",
        "benefit_funeral": "Funeral",
        "benefit_disability": "Disability",
        "benefit_education": "Education",
        "benefit_disaster": "Disaster",
        "benefit_other": "Other",
        "baht": " baht",
        "per_event": " baht each",
        "per_night": " baht/night",
        "per_month": " baht/month",
        "claim_filed": "waiting",
        "claim_paid": "paid",
        "claim_rejected": "rejected",
        "claim_reversed": "reversed",
        "language": "Language\n1 ไทย\n2 English\n0 Back",
        "language_set": "English it is.",
        "pay_amount": "Baht you handed to your collector\n(at most {max} baht)\n0 Back",
        "pay_collector": "Which collector?",
        "back_only": "0 Back",
        "pin_enter": "Enter your 4-digit PIN",
        "pin_wrong": "Wrong PIN\n",
        "pin_new": "Choose a 4-digit PIN",
        "pin_weak": "Too easy to guess: pick another\n",
        "pin_again": "Enter the PIN again",
        "pay_confirm": "Record {amount} baht handed to {name}?\n1 Yes\n2 No",
        "declared": "Recorded #{ref}. Your collector will confirm.",
        "cancelled": "Cancelled.",
        "pin_changed": "Your new PIN is saved.",
        "locked": "Too many wrong PINs. Please try again in 30 minutes.",
        "no_collectors": "Your fund has no collector yet. Ask your committee.",
        "too_many": "Sorry, please try again later.",
    },
}


def locked_screen(lang: str) -> Screen:
    """The END screen after the third wrong PIN."""
    return Screen(USSD_TEXTS.get(lang, USSD_TEXTS["th"])["locked"], end=True)


def declared_screen(lang: str, ref: str) -> Screen:
    """The last screen of a recorded payment, with its reference."""
    return Screen(USSD_TEXTS.get(lang, USSD_TEXTS["th"])["declared"].format(ref=ref), end=True)
