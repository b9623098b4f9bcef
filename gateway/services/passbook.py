"""The passbook as printed: Thai words, Buddhist Era dates, baht; for the CLI and dashboard."""

from __future__ import annotations

from gateway.flows.dashboard_texts import benefit_label
from gateway.flows.dates import BE_OFFSET, format_date
from gateway.flows.money import format_baht
from models.passbook import Passbook

WHAT = {
    "contribution": "ส่งสัจจะ",
    "opening": "ยอดยกมาจากสมุดเดิม",
    "reversal": "ยกเลิกรายการ",
    "rejoin": "สมัครใหม่ ยอดเดิมเป็นของกองทุน",
    "entrance_fee": "ค่าสมัครสมาชิก",
}
CLAIM_STATE = {
    "filed": "รออนุมัติ",
    "paid": "กองทุนมอบแล้ว",
    "rejected": "ไม่อนุมัติ",
    "reversed": "ยกเลิกแล้ว",
}


def passbook_rows(book: Passbook) -> dict[str, object]:
    """Everything the printed page shows, as text."""
    member = book.member
    return {
        "fund": member.group.name,
        "name": member.name,
        "number": member.number,
        "year_be": book.year + BE_OFFSET,
        "joined": format_date(member.joined_on, "th"),
        "years": book.years_of_membership,
        "beneficiary": " ".join(
            part for part in (member.beneficiary_name, member.beneficiary_relation) if part
        )
        or "-",
        "balance": format_baht(book.balance),
        "paid_through": format_date(book.paid_through, "th") if book.paid_through else "-",
        "lines": [
            (
                format_date(line.day, "th"),
                WHAT.get(line.code, line.code),
                f"#{line.ref}",
                format_baht(line.given if line.given else line.amount),
                format_date(line.paid_through, "th") if line.paid_through else "",
            )
            for line in book.lines
        ],
        "claims": [
            (
                format_date(c.event_date, "th"),
                # "× 1" on ค่าทำศพ reads cold: a count shows only when there is one.
                benefit_label(c.benefit, "th") + (f" × {c.units}" if c.units > 1 else ""),
                f"#{c.ref}",
                format_baht(c.amount),
                CLAIM_STATE.get(c.status, c.status),
            )
            for c in book.claims
        ],
        "given": format_baht(book.given_in_year),
        "received": format_baht(book.received_in_year),
    }
