"""Money as people read and type it; satang inside, baht at the edge."""

from __future__ import annotations

SATANG_PER_BAHT = 100


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
