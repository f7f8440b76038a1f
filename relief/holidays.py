"""Holiday-visit windows from the Chinese lunar calendar (DESIGN.md rule 3)."""
from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context
from lunardate import LunarDate

_DEFAULTS = {"spring_festival": ((12, 23), (1, 15)), "mid_autumn": ((8, 8), (8, 22))}


def _bounds(kind: str):
    if has_app_context():
        key = {"spring_festival": "SPRING_FESTIVAL_WINDOW", "mid_autumn": "MID_AUTUMN_WINDOW"}[kind]
        return current_app.config[key]
    return _DEFAULTS[kind]


def window(kind: str, year: int) -> tuple[date, date]:
    """The Gregorian dates of a holiday window in Gregorian year `year`.

    spring_festival: from 腊月廿三 of the previous lunar year to 正月十五 (both configurable);
    mid_autumn: 八月初八 to 八月廿二 of the lunar year.
    """
    (m1, d1), (m2, d2) = _bounds(kind)
    if kind == "spring_festival":
        start_year = year - 1 if m1 > m2 else year
        return (LunarDate(start_year, m1, d1).to_solar_date(), LunarDate(year, m2, d2).to_solar_date())
    if kind == "mid_autumn":
        return (LunarDate(year, m1, d1).to_solar_date(), LunarDate(year, m2, d2).to_solar_date())
    raise ValueError(f"unknown holiday {kind!r}")


def holiday_of(day: date) -> str | None:
    """Which holiday window a date falls in, if any."""
    for kind in _DEFAULTS:
        for year in (day.year, day.year + 1):
            start, end = window(kind, year)
            if start <= day <= end:
                return kind
    return None
