"""Calendar dates in China Standard Time."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """Today's date in China, whatever the server's clock zone."""
    return datetime.now(CST).date()


def now_cst() -> datetime:
    """The time now in China, naive (as photos' own clocks give it)."""
    return datetime.now(CST).replace(tzinfo=None)


def to_cst(utc_naive: datetime | None) -> datetime | None:
    """A stored (naive UTC) timestamp as a China Standard Time datetime."""
    if utc_naive is None:
        return None
    return utc_naive.replace(tzinfo=ZoneInfo("UTC")).astimezone(CST)


FIRST_YEAR = 2000


def year_from_request(raw: str | None) -> tuple[int, str | None]:
    """The year a page was asked for, or this year with a note saying why the request was not used."""
    from flask_babel import gettext as _

    this_year = today().year
    raw = (raw or "").strip()
    if not raw:
        return this_year, None
    if raw.isdecimal() and len(raw) <= 4 and FIRST_YEAR <= int(raw) <= this_year:
        return int(raw), None
    return this_year, _("年度“%(raw)s”无效（应为 %(lo)d 到 %(hi)d），显示的是 %(year)d 年",
                        raw=raw, lo=FIRST_YEAR, hi=this_year, year=this_year)
