"""Dates as people read them: Buddhist Era in Thai, plain English otherwise."""

from __future__ import annotations

import datetime as dt

THAI_MONTHS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
BE_OFFSET = 543


def format_date(day: dt.date, lang: str, *, short: bool = False) -> str:
    """16 พ.ย. 2569 in Thai, 16 Nov 2026 in English; short: 16 พ.ย. 69 (a USSD list line)."""
    year = day.year + BE_OFFSET if lang == "th" else day.year
    shown = f"{year % 100:02d}" if short else str(year)
    if lang == "th":
        return f"{day.day} {THAI_MONTHS[day.month - 1]} {shown}"
    return f"{day.day} {day.strftime('%b')} {shown}"


def format_month(day: dt.date, lang: str, *, short: bool = False) -> str:
    """พ.ย. 2569 in Thai, Nov 2026 in English; short: พ.ย. 69, Nov 26 (chart labels)."""
    year = day.year + BE_OFFSET if lang == "th" else day.year
    shown = f"{year % 100:02d}" if short else str(year)
    name = THAI_MONTHS[day.month - 1] if lang == "th" else day.strftime("%b")
    return f"{name} {shown}"
