"""Money as people read and type it; satang inside, baht at the edge."""

from __future__ import annotations

import re

from config.conventions import SATANG_PER_BAHT


def format_baht(satang: int, *, decimals: bool = False) -> str:
    """1234500 -> '12,345' (or '12,345.00' with decimals); satang shown when not whole."""
    sign = "-" if satang < 0 else ""
    baht, rest = divmod(abs(satang), SATANG_PER_BAHT)
    if rest or decimals:
        return f"{sign}{baht:,}.{rest:02d}"
    return f"{sign}{baht:,}"


def baht_to_satang(baht: int) -> int:
    """Whole baht to satang."""
    return baht * SATANG_PER_BAHT


BAHT_TEXT = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def parse_baht(text: str) -> int | None:
    """'10,000.50' -> 1000050 satang; None unless it is a plain amount of baht."""
    match = BAHT_TEXT.fullmatch(text.strip())
    if not match or len(match.group(1)) > 14:
        return None
    return int(match.group(1).replace(",", "")) * SATANG_PER_BAHT + int(
        (match.group(2) or "0").ljust(2, "0")
    )
