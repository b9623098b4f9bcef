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
        ("ส่งมอบ3 500", Command("RCV", who=Who(number=3), baht=500)),
        ("รับ12 30", Command("PAY", who=Who(number=12), baht=30)),
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


@pytest.mark.parametrize("text", ["จ่ายxx", "ยอดx", "12 30", "PAYX 12 30", "รับมอ 3 500"])
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
        ("UNDO #1234567890123", "ref", "UNDO"),
        ("PINRESET", "usage", "PINRESET"),
        ("BAL somebody", "member", "BAL"),
    ],
)
def test_errors(text, error, verb):
    assert parse(text) == ParseError(error, verb)


PAY_12_30 = Command("PAY", who=Who(number=12), baht=30)


@pytest.mark.parametrize(
    "text",
    [  # what villagers add to "PAY 12 30", in both languages: all of it means the same
        "จ่าย12 30",
        "จ่าย 12 30 บาท",
        "จ่าย 12 30 บ.",
        "จ่าย 12 30บ.",
        "จ่าย 12 30 บ",
        "จ่าย12 30บาทค่ะ",
        "จ่าย 12 30 ค่ะ",
        "จ่าย 12 30 บาท ครับ",
        "จ่าย 12 30 นะคะ",
        "จ่าย #12 30",
        "จ่าย#12 30",
        "จ่าย 12 ฿30",
        "จ่าย 12 30฿",
        "จ่าย 12 30.- 🙏",
        "รับ 12 30",
        "รับ12 30 บาท",
        "PAY 12 30 baht",
        "PAY 12 30 Baht.",
        "PAY 12 30baht",
        "PAY 12 30 THB",
        "PAY 12 30.00",
        "PAY #12 30",
        "pay #12 30!",
        "PAY 12 30 👍",
        "PAY 12 30 👍🏽",
        "PAY12 30.",
        "PAY 12, 30",
    ],
)
def test_what_villagers_add_to_a_payment_changes_nothing(text):
    assert parse(text) == PAY_12_30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("จ่าย 12 30 บาท ซ้ำ", Command("PAY", who=Who(number=12), baht=30, again=True)),
        ("จ่าย12 30ซ้ำค่ะ", Command("PAY", who=Who(number=12), baht=30, again=True)),
        ("PAY 12 30 baht AGAIN", Command("PAY", who=Who(number=12), baht=30, again=True)),
        ("รับมอบ 3 1000 ซ้ำ", Command("RCV", who=Who(number=3), baht=1000, again=True)),
        ("ส่งมอบ 3 500 บาท", Command("RCV", who=Who(number=3), baht=500)),
        ("รับมอบ 3 500", Command("RCV", who=Who(number=3), baht=500)),
        ("RCV #3 500 baht", Command("RCV", who=Who(number=3), baht=500)),
        ("ยอด12", Command("BAL", who=Who(number=12))),
        ("ยอดค่ะ", Command("BAL")),
        ("ยอด ครับ", Command("BAL")),
        ("ยอดสัจจะ", Command("BAL")),
        ("ยอด #12 ค่ะ", Command("BAL", who=Who(number=12))),
        ("BAL?", Command("BAL")),
        ("สรุปครับ", Command("SUM")),
        ("ช่วยด้วย", Command("HELP")),
        ("HELP!", Command("HELP")),
        ("ตกลง 12345", Command("OK", ref="12345")),
        ("ตกลง12345", Command("OK", ref="12345")),
        ("ตกลง12345ค่ะ", Command("OK", ref="12345")),
        ("ยืนยัน 12345", Command("OK", ref="12345")),
        ("OK 4AZX.", Command("OK", ref="4AZX")),
        ("OK #12345 thanks", Command("OK", ref="12345")),
        ("ตกลง 12345 ได้รับแล้ว", Command("OK", ref="12345")),
        ("OK 12345 🙏", Command("OK", ref="12345")),
        ("NO 12345 not paid", Command("NO", ref="12345", reason="not paid")),
        ("ไม่ 12345 ยังไม่ได้รับเงิน", Command("NO", ref="12345", reason="ยังไม่ได้รับเงิน")),
        ("ไม่12345 ยังไม่ได้เงิน", Command("NO", ref="12345", reason="ยังไม่ได้เงิน")),
        ("ไม่รับ 12345", Command("NO", ref="12345")),
        ("ทักท้วง 12345 จ่ายแค่ 20", Command("NO", ref="12345", reason="จ่ายแค่ 20")),
        ("ยกเลิก 12345 ผิดคน", Command("UNDO", ref="12345")),
        ("อนุมัติ 12345 ครับ", Command("APPROVE", ref="12345")),
        ("APPROVE 12345 agreed", Command("APPROVE", ref="12345")),
        ("ไม่อนุมัติ12345 ไม่ครบ", Command("REJECT", ref="12345", reason="ไม่ครบ")),
    ],
)
def test_commands_typed_the_thai_way(text, expected):
    assert parse(text) == expected


def _claim(benefit, units=None, number=12):  # no count given: none is assumed
    return Command("CLAIM", who=Who(number=number), benefit=benefit, units=units)


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # every common name of a benefit, spaced, glued, with ค่า, a unit after the count
        ("เบิก 12 คลอด", _claim("birth")),
        ("เบิก 12 คลอดบุตร", _claim("birth")),
        ("เบิก 12 ค่าคลอด", _claim("birth")),
        ("CLAIM 12 birth", _claim("birth")),
        ("เบิก 12 ป่วย 3", _claim("hospital", 3)),
        ("เบิก12ป่วย3", _claim("hospital", 3)),
        ("เบิก 12 นอนโรงพยาบาล 3 คืน", _claim("hospital", 3)),
        ("เบิก 12 นอน โรงพยาบาล 3คืน", _claim("hospital", 3)),
        ("เบิก 12 ค่านอนโรงพยาบาล 2", _claim("hospital", 2)),
        ("เบิก 12 รพ. 2", _claim("hospital", 2)),
        ("เบิก 12 นอน รพ 2 คืนค่ะ", _claim("hospital", 2)),
        ("CLAIM 12 hospital 3 nights", _claim("hospital", 3)),
        ("เบิก 12 ผู้สูงอายุ", _claim("elderly")),
        ("เบิก 12 สูงอายุ 1 เดือน", _claim("elderly", 1)),
        ("เบิก 12 บำนาญ", _claim("elderly")),
        ("เบิก 12 ชรา", _claim("elderly")),
        ("CLAIM 12 pension", _claim("elderly")),
        ("เบิก 12 ค่าทำศพ", _claim("funeral")),
        ("เบิก 12 ค่า ทำศพ", _claim("funeral")),
        ("เบิก 12 ทำศพ", _claim("funeral")),
        ("เบิก 12 ศพ", _claim("funeral")),
        ("เบิก 12 เสียชีวิต", _claim("funeral")),
        ("CLAIM 12 funeral", _claim("funeral")),
        ("เบิก 12 ช่วยคนพิการ", _claim("disability")),
        ("เบิก 12 คนพิการ", _claim("disability")),
        ("CLAIM 12 disability", _claim("disability")),
        ("เบิก 12 ทุนการศึกษา", _claim("education")),
        ("เบิก 12 ทุน", _claim("education")),
        ("เบิก 12 ภัยพิบัติ", _claim("disaster")),
        ("เบิก 12 น้ำท่วม", _claim("disaster")),
        ("เบิก 12 อื่นๆ", _claim("other")),
        ("เบิก #12 สวัสดิการคนพิการ", _claim("disability")),
        (
            "CLAIM 081 234 5678 funeral",
            Command("CLAIM", who=Who(phone="081 234 5678"), benefit="funeral"),
        ),
    ],
)
def test_claim_types_by_every_common_name(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "error", "verb", "word"),
    [  # an error names the command as it was typed, and only what was wrong
        ("จ่าย 12", "usage", "PAY", "จ่าย"),
        ("รับ 12", "usage", "PAY", "รับ"),
        ("pay 12", "usage", "PAY", "PAY"),
        ("จ่าย 12 30 40", "usage", "PAY", "จ่าย"),  # never member no. 1230
        ("PAY 12 30 baht 40", "usage", "PAY", "PAY"),
        ("จ่าย 12 สามสิบ", "amount", "PAY", "จ่าย"),
        ("จ่าย 12 30.50 บาท", "amount", "PAY", "จ่าย"),
        ("จ่าย สมชาย 30", "member", "PAY", "จ่าย"),
        ("ส่งมอบ 3", "usage", "RCV", "ส่งมอบ"),
        ("ตกลง", "usage", "OK", "ตกลง"),
        ("ตกลง 12345 12346", "usage", "OK", "ตกลง"),
        ("OK 12345 30", "usage", "OK", "OK"),
        ("ตกลง abc", "ref", "OK", "ตกลง"),
        ("ยกเลิก 12345 12346", "usage", "UNDO", "ยกเลิก"),
        ("ไม่", "usage", "NO", "ไม่"),
        ("NO 12345 12346", "usage", "NO", "NO"),
        ("ไม่ 12345 #12346 ผิด", "usage", "NO", "ไม่"),
        ("อนุมัติ 12345 12346", "usage", "APPROVE", "อนุมัติ"),
        ("ไม่อนุมัติ 12345", "usage", "REJECT", "ไม่อนุมัติ"),
        ("เบิก 12", "usage", "CLAIM", "เบิก"),
        ("เบิก 12 งานบวช", "benefit", "CLAIM", "เบิก"),
        ("CLAIM 12 wedding", "benefit", "CLAIM", "CLAIM"),
        ("เบิก 12 ป่วย 3 4", "usage", "CLAIM", "เบิก"),
        ("เบิก 12 ป่วย 400", "usage", "CLAIM", "เบิก"),
        ("เบิก สมชาย ป่วย", "member", "CLAIM", "เบิก"),
        ("ยอด 12 30", "usage", "BAL", "ยอด"),
        ("PINRESET สมชาย", "member", "PINRESET", "PINRESET"),
    ],
)
def test_errors_say_what_was_typed(text, error, verb, word):
    parsed = parse(text)
    assert parsed == ParseError(error, verb)
    assert parsed.word == word


@pytest.mark.parametrize("text", ["🙏", "ค่ะ", "...", "นะคะ 🙏"])
def test_only_decoration_is_not_a_command(text):
    assert parse(text) == ParseError("unknown")


@pytest.mark.parametrize(
    "word",
    sorted({w for w in ["รับ", "จ่าย", "ส่งมอบ", "รับมอบ", "ตกลง", "ไม่", "ยกเลิก"]}),
)
def test_a_thai_word_is_one_command(word):
    from gateway.flows.sms_grammar import ALIASES

    assert (
        ALIASES[word]
        == {
            "รับ": "PAY",
            "จ่าย": "PAY",
            "ส่งมอบ": "RCV",
            "รับมอบ": "RCV",
            "ตกลง": "OK",
            "ไม่": "NO",
            "ยกเลิก": "UNDO",
        }[word]
    )
