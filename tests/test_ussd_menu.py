"""The USSD menu as a pure function: tables of inputs, and a walk over every screen."""

from __future__ import annotations

import datetime as dt
from collections import deque

import pytest

from gateway.flows import ussd as menu
from gateway.flows.gsm import ussd_budget

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

TODAY = dt.date(2026, 11, 16)


def caller(**changes):
    base = {
        "lang": "th",
        "balance": 41_700,
        "paid_through": dt.date(2026, 11, 7),
        "days_behind": 9,
        "waiting_days_left": 0,
        "fund_total": 66_487_100,
        "daily_rate": 100,
        "collectors": (menu.Collector(3, "วิไล"), menu.Collector(4, "อาแว")),
        "payments": (
            menu.Payment(dt.date(2026, 11, 1), 3000, "pending", "01K7"),
            menu.Payment(dt.date(2026, 10, 1), 3000, "confirmed", "01K8"),
            menu.Payment(dt.date(2026, 9, 1), 9000, "reversed", "01K9"),
        ),
        "has_pin": True,
        "pin_locked": False,
        "benefits": (
            menu.BenefitLine("birth", 50000, "event"),
            menu.BenefitLine("hospital", 10000, "night"),
            menu.BenefitLine("elderly", 30000, "month"),
            menu.BenefitLine("funeral", 300000, "event"),
        ),
        "claims": (menu.ClaimLine(dt.date(2026, 10, 2), "hospital", 30000, "paid"),),
    }
    return menu.Caller(**{**base, **changes})


@pytest.mark.parametrize(
    ("membership", "line"),
    [
        ({}, "มีสิทธิ์รับสวัสดิการ"),
        ({"lapse_on": dt.date(2026, 12, 6)}, "ส่งให้ครบก่อน 6 ธ.ค. 2569 จะไม่พ้นสภาพ"),
        ({"lapsed": True, "return_until": dt.date(2027, 3, 6)}, "พ้นสภาพแล้ว ส่งครบก่อน 6 มี.ค. 2570"),
        ({"lapsed": True}, "พ้นสภาพแล้ว สมัครใหม่ได้"),
    ],
)
def test_the_balance_screen_says_when_membership_lapses_and_until_when_it_returns(membership, line):
    assert run("1*98", caller(**membership)).screen.text.startswith(line + "\n")


def run(text, who=None, verdicts=None):
    return menu.answer(who or caller(), menu.split_inputs(text), verdicts or {})


@pytest.mark.parametrize(
    ("text", "starts", "node"),
    [
        ("", "1 ยอดสัจจะ", "main"),
        ("1", "ยอดสัจจะ 417 บ.\nส่งถึง 7 พ.ย. 2569\nค้างส่ง 9 วัน", "balance"),
        ("1*98", "มีสิทธิ์รับสวัสดิการ\nเงินกองทุน 664,871 บ.", "balance_more"),
        ("1*0", "1 ยอดสัจจะ", "main"),
        ("1*98*0", "ยอดสัจจะ", "balance"),
        ("1*98*00", "1 ยอดสัจจะ", "main"),
        ("3", "1 พ.ย. 69 30 บ. รอยืนยัน\n1 ต.ค. 69 30 บ. ยืนยันแล้ว\n98 ต่อ", "history"),
        ("3*98", "1 ก.ย. 69 90 บ. ยกเลิกแล้ว\n0 กลับ", "history"),
        ("4", "สวัสดิการ: มีสิทธิ์รับสวัสดิการ\n1 อัตราสวัสดิการ\n2 คำขอของท่าน", "welfare"),
        ("4*1", "คลอดบุตร 500 บ./ครั้ง\nนอนโรงพยาบาล 100 บ./คืน\n98 ต่อ", "welfare_rates"),
        ("4*1*98", "ผู้สูงอายุ 300 บ./เดือน\nค่าทำศพ 3,000 บ./ครั้ง\n0 กลับ", "welfare_rates"),
        ("4*1*98*98", "ลองใหม่\nผู้สูงอายุ", "welfare_rates"),
        ("4*1*0", "สวัสดิการ:", "welfare"),
        ("4*2", "2 ต.ค. 69 นอนโรงพยาบาล 300 บ. มอบแล้ว\n0 กลับ", "welfare_claims"),
        ("4*3", "ลองใหม่\nสวัสดิการ:", "welfare"),
        ("5", "เลือกภาษา", "language"),
        ("2", "ส่งให้ผู้เก็บเงินแล้วกี่บาท\n(ไม่เกิน 365 บ.)", "pay_amount"),
        ("2*30", "ให้ผู้เก็บคนไหน\n1 วิไล\n2 อาแว", "pay_collector"),
        ("2*30*2", "ใส่รหัส PIN", "pay_pin"),
        ("๒*๓๐*๒", "ใส่รหัส PIN", "pay_pin"),
        ("2*366", "ลองใหม่\nส่งให้ผู้เก็บเงินแล้วกี่บาท", "pay_amount"),
        ("2*0", "1 ยอดสัจจะ", "main"),
        ("2*30.5", "ลองใหม่", "pay_amount"),
        ("2*-30", "ลองใหม่", "pay_amount"),
        ("2*30*9", "ลองใหม่\nให้ผู้เก็บคนไหน", "pay_collector"),
        ("9", "ลองใหม่\n1 ยอดสัจจะ", "main"),
        ("x*y*z", "ขออภัย", "too_many"),
        ("*", "ลองใหม่", "main"),
    ],
)
def test_screens(text, starts, node):
    result = run(text)
    assert result.screen.text.startswith(starts), result.screen.text
    assert result.node == node


def test_a_pin_hop_asks_the_host_to_check_it():
    result = run("2*30*1*5807")
    assert result.needs_pin_check == "5807"
    assert run("2*30*1*5807", verdicts={3: True}).node == "pay_confirm"
    wrong = run("2*30*1*5807", verdicts={3: False})
    assert wrong.screen.text.startswith("รหัส PIN ไม่ถูก") and wrong.node == "pay_pin"


def test_confirming_declares_once_on_the_last_hop_only():
    confirm = run("2*30*1*5807*1", verdicts={3: True})
    assert confirm.effects == (menu.Declare(3000, 3),)
    assert confirm.screen.end
    assert run("2*30*1*5807", verdicts={3: True}).effects == ()
    assert run("2*30*1*5807*2", verdicts={3: True}).node == "cancelled"


@pytest.mark.parametrize("text", ["5*2*1", "5*x*2*2*5807", "2*30*1*5807*1*9", "1*1*1"])
def test_inputs_after_an_end_apply_nothing_again(text):
    inputs = menu.split_inputs(text)
    result = menu.answer(caller(), inputs, {i: True for i in range(len(inputs))})
    assert result.screen.end and result.effects == ()


@pytest.mark.parametrize(
    ("text", "has_pin", "after"),
    [
        ("", True, False),
        ("1*98*0", True, False),
        ("2*30*1", True, False),  # up to the PIN, the caller's figures decide everything
        ("2*30*1*5807", True, False),  # the PIN hop itself: a check, not an earlier effect
        ("2*30*1*5807*0", True, True),  # past a PIN with no verdict recorded here
        ("2*30*1*5807*5807*0", False, True),  # past a PIN first set in this session
        ("5*2*1", True, True),  # past a language choice (an END)
    ],
)
def test_answers_past_an_earlier_effect_say_so(text, has_pin, after):
    """Only answers that depend on the caller alone may come from a snapshot."""
    assert run(text, caller(has_pin=has_pin)).after_effects is after


def test_first_pin_is_entered_twice():
    first = caller(has_pin=False)
    assert run("2*30*1", first).node == "pay_pin_new"
    assert run("2*30*1*5807*9999", first).node == "pay_pin_new"
    both = run("2*30*1*5807*5807", first)
    assert both.node == "pay_confirm" and both.effects == (menu.SetPin("5807"),)
    assert run("2*30*1*12", first).screen.text.startswith("ลองใหม่")


@pytest.mark.parametrize(
    ("pin", "weak"),
    [
        ("1111", True),
        ("0000", True),
        ("1234", True),
        ("4321", True),
        ("6789", True),
        ("9876", True),
        ("0004", True),  # the caller's phone ends in 0004
        ("5807", False),
        ("1357", False),
        ("1122", False),
        ("9012", False),
    ],
)
def test_a_pin_anyone_would_guess_is_refused_with_a_reason(pin, weak):
    first = caller(has_pin=False, phone_tail="0004")
    for text in (f"2*30*1*{pin}", f"6*{pin}"):
        result = run(text, first)
        if weak:
            assert result.node in ("pay_pin_new", "pin_new") and result.effects == ()
            assert result.screen.text.startswith("รหัสนี้เดาง่าย ขอรหัสอื่นค่ะ\nตั้งรหัส PIN")
        else:
            assert result.node in ("pay_pin_again", "pin_again")
    assert menu.guessable_pin(pin, "0004") is weak


def test_pin_change_and_language():
    assert run("6").node == "pin_old"
    change = run("6*3958*2690*2690", verdicts={1: True})
    assert change.effects == (menu.SetPin("2690"),) and change.screen.end
    english = run("5*2")
    assert english.effects == (menu.SetLanguage("en"),) and english.screen.text == "English it is."


def test_locked_pin_ends_at_once():
    locked = caller(pin_locked=True)
    assert run("2", locked).node == "locked"
    assert run("6", locked).screen.end
    assert run("1", locked).node == "balance"  # the balance needs no PIN


def test_the_usual_collector_first_then_the_members_village_then_98_for_more():
    villages = {3: "หมู่ 1", 4: "หมู่ 1", 5: None, 6: "หมู่ 2", 7: "หมู่ 1", 8: "หมู่ 2"}
    listed = tuple(menu.Collector(n, f"c{n}", v) for n, v in villages.items())
    many = caller(collectors=listed, usual_collector=7, village="หมู่ 2")
    first = run("2*30", many).screen.text
    assert first == "ให้ผู้เก็บคนไหน\n1 c7\n2 c6\n3 c8\n4 c3\n98 ต่อ 0 กลับ"
    assert run("2*30*98", many).screen.text == "ให้ผู้เก็บคนไหน\n5 c4\n6 c5\n0 กลับ"
    # A choice is a number on the list, on any page; never a collector's member number.
    assert run("2*30*1", many, {3: True}).node == "pay_pin"
    confirm = run("2*30*98*6*5807", many, {4: True}).screen.text
    assert "ให้ c5" in confirm
    assert "ให้ c7" in run("2*30*1*5807", many, {3: True}).screen.text
    for wrong in ("7", "8", "98*98", "x"):
        assert run(f"2*30*{wrong}", many).node == "pay_collector"


def test_without_a_usual_collector_the_list_keeps_member_number_order():
    listed = tuple(menu.Collector(n, f"c{n}") for n in (3, 4))
    assert run("2*30", caller(collectors=listed)).screen.text == "ให้ผู้เก็บคนไหน\n1 c3\n2 c4\n0 กลับ"


# -- every screen, both languages, the longest values: the budget and the graph -------

LONGEST = {
    "balance": 999_999_900,
    "paid_through": dt.date(2569 - 543, 3, 30),
    "days_behind": -9999,
    "waiting_days_left": 180,
    "fund_total": 99_999_999_900,
    "daily_rate": 27_300,
    "collectors": tuple(menu.Collector(n, "ก" * 12) for n in (99991, 99992, 99993, 99994)),
    "payments": tuple(
        menu.Payment(dt.date(2026, 3, 30), 9_999_900, state, "ZZZZZZZZ")
        for state in ("confirmed", "pending", "rejected", "reversed", "confirmed")
    ),
    "benefits": tuple(
        menu.BenefitLine(kind, 9_999_900, unit)
        for kind, unit in (
            ("disaster", "month"),
            ("education", "month"),
            ("disability", "month"),
            ("hospital", "night"),
            ("elderly", "event"),
            ("other", "month"),
        )
    ),
    "claims": tuple(
        menu.ClaimLine(dt.date(2026, 3, 30), kind, 9_999_900, status)
        for kind in ("disaster", "disability", "education")
        for status in ("rejected", "filed", "paid")
    ),
}
CHOICES = ["", "0", "00", "98", "1", "2", "3", "4", "5", "6", "9", "x", "30", "5807", "99991"]


def walk(who):
    """Every screen reachable within six hops, with the choices above."""
    seen = {}
    every = []
    expanded = set()
    queue = deque([""])
    while queue:
        text = queue.popleft()
        inputs = menu.split_inputs(text)
        verdicts = {i: True for i in range(len(inputs))}
        result = menu.answer(who, inputs, verdicts)
        seen.setdefault(result.node, (text, result.screen))
        every.append((result.node, text, result.screen))
        key = (result.node, result.screen.text, result.tries)
        if result.screen.end or len(inputs) >= 8 or key in expanded:
            continue
        expanded.add(key)
        for choice in CHOICES[1:]:
            queue.append(f"{text}*{choice}" if text else choice)
    walk.every = every  # every screen met, hints and pages included
    return seen


MEMBERSHIP = [
    {},
    {"lapse_on": dt.date(2026, 3, 30)},
    {"lapsed": True, "return_until": dt.date(2026, 3, 30)},
    {"lapsed": True},
]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("has_pin", [True, False])
@pytest.mark.parametrize("membership", MEMBERSHIP)
def test_every_screen_fits_the_budget(lang, has_pin, membership):
    walk(caller(lang=lang, has_pin=has_pin, **LONGEST, **membership))
    for node, text, screen in walk.every:
        assert screen.text, (node, text)
        assert len(screen.text) <= ussd_budget(screen.text), (node, text, len(screen.text))


def test_every_node_is_reachable_and_survives_anything():
    nodes = set(walk(caller())) | set(walk(caller(has_pin=False)))
    nodes |= set(walk(caller(pin_locked=True)))
    expected = set(menu.PARENT) | {"main"} | menu.ENDS - {"declared"}
    assert expected - {"pin_changed", "language_set", "sent", "cancelled", "no_collectors"} <= nodes
    for node, (text, _screen) in walk(caller()).items():
        for extra in ("", "0", "00", "zz", "*", "9" * 40):
            path = f"{text}*{extra}" if text else extra
            inputs = menu.split_inputs(path)
            result = menu.answer(caller(), inputs, {i: True for i in range(len(inputs))})
            assert result.screen.text or result.needs_pin_check, (node, path)


def test_the_declared_and_locked_screens_fit():
    for lang in ("th", "en"):
        for screen in (menu.declared_screen(lang, "ZZZZZZZZ"), menu.locked_screen(lang)):
            assert screen.end and len(screen.text) <= ussd_budget(screen.text)


@pytest.mark.parametrize("who", [caller(), caller(has_pin=False)], ids=["pin", "no-pin"])
def test_a_fold_gone_on_from_part_way_answers_as_the_whole_fold(who):
    # The snapshot's PIN and declaring hops fold the inputs before the PIN once, with no
    # verdicts, and go on from there with each verdict (gateway/services/ussd_hop.py).
    walk(who)
    texts = {text for _node, text, _screen in walk.every}
    texts |= {f"{text}*5807*1" for text in texts if text.count("*") < 4}
    checked = resumed = 0
    for text in sorted(texts):
        inputs = menu.split_inputs(text)
        for hop in range(len(inputs) + 1):
            for given in (None, True, False):  # None: no verdicts, as the snapshot's fold
                before = {} if given is None else {i: given for i in range(hop)}
                start = menu.fold(who, inputs, before, hop)
                assert start.hops == hop or start.answer is not None, text
                resumed += start.answer is None and hop > 0
                for then in ({}, {hop: True}, {hop: False}):
                    verdicts = {**before, **then}
                    whole = menu.answer(who, inputs, verdicts)
                    assert menu.answer(who, inputs, verdicts, start) == whole, (text, verdicts)
                    checked += 1
    assert checked > 10_000 and resumed > 1_000
