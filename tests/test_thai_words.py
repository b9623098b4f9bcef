"""Member-facing Thai never drifts back to the words docs/THAI.md rules out.

docs/THAI.md says why each word is ruled out (ยอดเงิน reads like a bank balance, ได้รับ…แล้ว
says "already received", bare ศพ and ชรา are unkind, จ่าย is for the fund paying out).
"""

from __future__ import annotations

import re
import string

import pytest

from gateway.flows import household
from gateway.flows.texts import MEMBERSHIP_ENDED, TH, TOO_MANY_SMS, UNKNOWN_SENDER
from gateway.flows.ussd import USSD_TEXTS
from gateway.services import passbook
from gateway.services.ussd import SLOW_DOWN, SORRY
from gateway.services.ussd_hop import NOT_REGISTERED, OTHER_PHONE

# Every SMS template a member (or a bereaved beneficiary) receives.
MEMBER_SMS = {
    "receipt",
    "rejected",
    "undone",
    "bal_self",
    "disputed",
    "withdraw_ok",
    "reversed_member",
    "pin_was_reset",
    "privacy",
    "privacy_committee",
    "stopped",
    "started",
    "behind",
    "ahead",
    "even",
    "help_member",
    "err_unknown",
    "err_usage_ref",
    "err_usage_no",
    "err_usage_bal",
    "err_ref",
    "err_internal",
    "benefit_birth",
    "benefit_hospital",
    "benefit_elderly",
    "benefit_funeral",
    "benefit_disability",
    "benefit_education",
    "benefit_disaster",
    "benefit_other",
    "unit_event",
    "unit_night",
    "unit_month",
    "welfare_paid",
    "welfare_paid_funeral",
    "claim_rejected",
    "bal_household",
    "bal_household_line",
    "bal_household_more",
    "claim_reversed",
    "receipt_restored",
    "stmt",
    "entrance_fee_receipt",
    "lapse_warning",
    "reminder",
}
# Pieces of a message, not a message: they need not close it politely.
FRAGMENTS = {
    "behind",
    "ahead",
    "even",
    "bal_household",
    "bal_household_line",
    *(key for key in TH if key.startswith(("benefit_", "unit_"))),
}
# Every other template goes to the fund's officials (collectors and the committee).
OFFICIAL_SMS = set(TH) - MEMBER_SMS

# Each ruled-out form with the word docs/THAI.md says instead.
RULED_OUT = {
    r"ยอดเงิน": "ยอดสัจจะ",
    r"เงินออม|เงินฝาก": "สัจจะ",
    r"จ่าย": "ส่ง (a member's สัจจะ) or มอบ (the fund's welfare)",
    r"ได้รับ\S*แล้ว": "มีสิทธิ์ (entitled)",
    r"(?<!ทำ)ศพ": "ค่าทำศพ, ทำศพ",
    r"ชรา": "สูงอายุ, ผู้สูงอายุ",
    r"เบี้ย": "ช่วยคนพิการ",
    r"ออกจากกองทุน": "พ้นสภาพสมาชิก",
    r"ใบรับผิด": "ทักท้วง",
    r"ถอน": "ยกเลิกที่แจ้งส่ง (ถอน reads as taking money out)",
}
MONEY = ("amount", "total", "cash", "owed", "fund", "bank", "given", "received", "max")


def thai_part(text: str) -> str:
    """The Thai half of a bilingual text ("ไทย / English" or "ไทย\\nEnglish")."""
    return re.split(r" / |\n(?=[A-Z])", text.removeprefix("END "))[0]


def member_texts() -> list[tuple[str, str]]:
    """Every member-facing Thai text with where it lives."""
    found = [(f"sms {key}", TH[key]) for key in sorted(MEMBER_SMS)]
    found += [(f"ussd {key}", text) for key, text in USSD_TEXTS["th"].items()]
    found += [(f"household {key}", text) for key, text in household.TEXTS["th"].items()]
    found += [(f"passbook {key}", text) for key, text in passbook.WHAT.items()]
    found += [(f"passbook {key}", text) for key, text in passbook.CLAIM_STATE.items()]
    fixed = {
        "TOO_MANY_SMS": TOO_MANY_SMS,
        "MEMBERSHIP_ENDED": MEMBERSHIP_ENDED,
        "UNKNOWN_SENDER": UNKNOWN_SENDER,
        "NOT_REGISTERED": NOT_REGISTERED,
        "OTHER_PHONE": OTHER_PHONE,
        "SORRY": SORRY,
        "SLOW_DOWN": SLOW_DOWN,
    }
    found += [(name, thai_part(text)) for name, text in fixed.items()]
    return found


def test_every_template_is_either_for_members_or_for_officials():
    assert set(TH) >= MEMBER_SMS, MEMBER_SMS - set(TH)
    assert MEMBER_SMS.isdisjoint(OFFICIAL_SMS)


@pytest.mark.parametrize(("where", "text"), member_texts())
def test_member_facing_thai_uses_the_funds_words(where, text):
    for pattern, say in RULED_OUT.items():
        found = re.search(pattern, text)
        assert found is None, f"{where}: {found.group(0)!r} in {text!r}; say {say}"


@pytest.mark.parametrize("key", sorted(MEMBER_SMS - FRAGMENTS))
def test_member_sms_close_politely(key):
    assert TH[key].rstrip().endswith("ค่ะ"), TH[key]


@pytest.mark.parametrize(
    "name", ["TOO_MANY_SMS", "MEMBERSHIP_ENDED", "UNKNOWN_SENDER", "NOT_REGISTERED", "SORRY"]
)
def test_fixed_replies_close_politely_in_thai(name):
    assert dict(member_texts())[name].rstrip().endswith("ค่ะ")


@pytest.mark.parametrize("key", sorted(TH))
def test_every_amount_carries_its_unit(key):
    """`{amount} บ.`: never a bare number beside a date (docs/THAI.md, Register)."""
    template = TH[key]
    for money in MONEY:
        for found in re.finditer(r"\{" + money + r"\}", template):
            assert template[found.end() :].startswith(" บ."), (key, template)


@pytest.mark.parametrize("key", ["reminder", "lapse_warning", "welfare_paid", "claim_reversed"])
def test_reminders_and_notices_name_the_fund_first(key):
    first = next(field for _, field, _, _ in string.Formatter().parse(TH[key]) if field)
    assert TH[key].startswith("{group}") and first == "group", TH[key]


def test_the_funeral_payout_offers_condolence():
    assert "ขอแสดงความเสียใจ" in TH["welfare_paid_funeral"]
    assert "ขอแสดงความเสียใจ" not in TH["welfare_paid"]


def test_the_guard_finds_what_it_guards_against():
    """The patterns bite: the wording before issue 18 fails every one it should."""
    before = {
        "ussd eligible": "ได้รับสวัสดิการแล้ว",
        "ussd main": "1 ยอดเงิน\n2 แจ้งจ่ายเงิน",
        "ussd benefit_elderly": "ชรา",
        "ussd benefit_funeral": "ศพ",
        "sms benefit_disability": "เบี้ยผู้พิการ",
        "sms reminder": "ค้างจ่ายกองทุน {days} วัน จ่ายถึง {date}",
    }
    for where, text in before.items():
        assert any(re.search(p, text) for p in RULED_OUT), where
    assert not any(re.search(p, "กองทุนมอบค่าทำศพ ส่งสัจจะ") for p in RULED_OUT)


@pytest.mark.parametrize(
    "key",
    ["sent", "language_set", "declared", "cancelled", "pin_changed", "locked", "no_collectors"],
)
def test_the_last_ussd_screen_of_a_flow_closes_politely(key):
    assert USSD_TEXTS["th"][key].endswith("ค่ะ"), USSD_TEXTS["th"][key]
