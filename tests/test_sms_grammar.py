"""The SMS grammar as a pure function: tables of text and what it means."""

from __future__ import annotations

import pytest

from gateway.flows.sms_grammar import Command, ParseError, Who, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAY 12 30", Command("PAY", who=Who(number=12), baht=30)),
        ("pay 12 30", Command("PAY", who=Who(number=12), baht=30)),
        ("  Pay   12    30  ", Command("PAY", who=Who(number=12), baht=30)),
        ("จ่าย ๑๒ ๓๐", Command("PAY", who=Who(number=12), baht=30)),
        ("จ่าย 12 30บาท", Command("PAY", who=Who(number=12), baht=30)),
        ("PAY 12 1,095", Command("PAY", who=Who(number=12), baht=1095)),
        ("PAY 081-234-5678 90", Command("PAY", who=Who(phone="081-234-5678"), baht=90)),
        ("PAY 081 234 5678 90", Command("PAY", who=Who(phone="081 234 5678"), baht=90)),
        ("PAY +66812345678 90", Command("PAY", who=Who(phone="+66812345678"), baht=90)),
        ("RCV 3 500", Command("RCV", who=Who(number=3), baht=500)),
        ("OK #01K7", Command("OK", ref="01K7")),
        ("ok 01k7", Command("OK", ref="01K7")),
        ("NO #00000ABC", Command("NO", ref="00000ABC")),
        ("UNDO 01K7", Command("UNDO", ref="01K7")),
        ("SUM", Command("SUM")),
        ("สรุป", Command("SUM")),
        ("BAL", Command("BAL")),
        ("ยอด", Command("BAL")),
        ("BAL 12", Command("BAL", who=Who(number=12))),
        ("PINRESET 44", Command("PINRESET", who=Who(number=44))),
        ("HELP", Command("HELP")),
        ("ช่วย", Command("HELP")),
        ("STOP", Command("STOP")),
        ("หยุด", Command("STOP")),
        ("help me please", Command("HELP")),
        ("PRIVACY", Command("PRIVACY")),
        ("privacy", Command("PRIVACY")),
        ("ข้อมูลส่วนตัว", Command("PRIVACY")),
        (" ข้อมูลส่วนตัว  ", Command("PRIVACY")),
    ],
)
def test_commands(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # Thai is typed without spaces: the command word may be glued to what follows.
        ("จ่าย12 30", Command("PAY", who=Who(number=12), baht=30)),
        ("จ่าย๑๒ ๓๐", Command("PAY", who=Who(number=12), baht=30)),
        ("ยอด12", Command("BAL", who=Who(number=12))),
        ("รับ3 500", Command("RCV", who=Who(number=3), baht=500)),
        ("ตกลง#01K7", Command("OK", ref="01K7")),
        ("ไม่01K7", Command("NO", ref="01K7")),
        ("ยกเลิก01K7", Command("UNDO", ref="01K7")),
        ("ไม่อนุมัติ#01K7 ไม่ครบ", Command("REJECT", ref="01K7", reason="ไม่ครบ")),
        ("PAY12 30", Command("PAY", who=Who(number=12), baht=30)),
        ("bal12", Command("BAL", who=Who(number=12))),
    ],
)
def test_command_words_glued_to_their_arguments(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["จ่ายxx", "ยอดเงิน", "12 30", "PAYX 12 30"])
def test_a_glued_word_must_be_a_whole_command_word(text):
    assert parse(text) == ParseError("unknown")


@pytest.mark.parametrize(
    ("text", "error", "verb"),
    [
        ("", "unknown", None),
        ("   ", "unknown", None),
        ("hello", "unknown", None),
        ("PAYY 12 30", "unknown", None),
        ("PAY", "usage", "PAY"),
        ("PAY 12", "usage", "PAY"),
        ("PAY 12 -30", "amount", "PAY"),
        ("PAY 12 0", "amount", "PAY"),
        ("PAY 12 30.50", "amount", "PAY"),
        ("PAY 12 3O", "amount", "PAY"),
        ("PAY 12 thirty", "amount", "PAY"),
        ("PAY 12 9999999999", "amount", "PAY"),
        ("PAY somchai 30", "member", "PAY"),
        ("PAY 0 30", "member", "PAY"),
        ("RCV 30", "usage", "RCV"),
        ("OK", "usage", "OK"),
        ("OK 12", "ref", "OK"),
        ("OK #ABC-1", "ref", "OK"),
        ("OK 01K7 01K8", "usage", "OK"),
        ("UNDO #123456789", "ref", "UNDO"),
        ("PINRESET", "usage", "PINRESET"),
        ("BAL somebody", "member", "BAL"),
    ],
)
def test_errors(text, error, verb):
    assert parse(text) == ParseError(error, verb)
