"""Business dates: Satja's days are Bangkok days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_today(timezone: str = "Asia/Bangkok", now: dt.datetime | None = None) -> dt.date:
    """Today's date where the fund is."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(ZoneInfo(timezone)).date()
