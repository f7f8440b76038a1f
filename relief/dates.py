"""Calendar dates in China Standard Time."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in China, whatever the server's clock zone."""
    return datetime.now(CST).date()


def to_cst(utc_naive: datetime | None) -> datetime | None:
    """A stored (naive UTC) timestamp as a China Standard Time datetime."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(CST)
