"""Working days of China's official calendar (法定节假日 and the weekends swapped to make up for them).

The calendar comes from chinese-calendar (PyPI `chinesecalendar`), which carries the State
Council's yearly notice for each year it knows (2004-2026 in 1.11.0). A year it does not know
yet (the notice for the next year appears each November or December) is estimated: Monday to
Friday, less the statutory holidays that 《全国年节及纪念日放假办法》 (2024 revision) fixes by date
— 元旦, 春节 (除夕 to 初三), 清明, 劳动节 (1-2 May), 端午, 中秋, 国庆 (1-3 Oct) — since the swapped
weekends cannot be known in advance. An office may enter the notice's days before the library
has them: MONITOR_EXTRA_HOLIDAYS and MONITOR_EXTRA_WORKDAYS (ISO dates) win over both.
Pages mark a deadline that falls in an estimated year (`is_estimated`).
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants
from flask import current_app, has_app_context
from lunardate import LunarDate

#: the years chinese-calendar carries the official notice for
KNOWN_YEARS = range(min(constants.holidays).year, max(constants.holidays).year + 1)
#: no deadline is counted further than this many calendar days (a guard against a bad setting)
_HORIZON_DAYS = 3660


def _overrides() -> tuple[frozenset, frozenset]:
    if not has_app_context():
        return frozenset(), frozenset()
    cfg = current_app.config
    return _dates(_listed(cfg.get("MONITOR_EXTRA_HOLIDAYS"))), _dates(_listed(cfg.get("MONITOR_EXTRA_WORKDAYS")))


def _listed(values) -> tuple[str, ...]:
    """A setting as a tuple of strings: a tuple or list, or one comma-separated string (environment)."""
    if isinstance(values, str):
        values = values.split(",")
    return tuple(str(v).strip() for v in values or () if str(v).strip())


@lru_cache(maxsize=8)
def _dates(values: tuple[str, ...]) -> frozenset:
    return frozenset(date.fromisoformat(v) for v in values)


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset:
    """The public holidays that the 2024 rules fix by date for `year` (no swapped days)."""
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2),
            date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)}
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days |= {new_year + timedelta(days=n) for n in range(-1, 3)}  # 除夕 to 初三
    days.add(LunarDate(year, 5, 5).to_solar_date())  # 端午
    days.add(LunarDate(year, 8, 15).to_solar_date())  # 中秋
    qingming = [d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
                if name == "清明"]
    days.update(qingming)
    return frozenset(days)


def is_estimated(day: date) -> bool:
    """Whether `day` lies in a year the official calendar is not known for (an estimate)."""
    return day.year not in KNOWN_YEARS


def is_workday(day: date) -> bool:
    holidays, workdays = _overrides()
    if day in workdays:
        return True
    if day in holidays:
        return False
    if day.year in KNOWN_YEARS:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself is not counted); `start` when n is 0."""
    day, left = start, max(0, n)
    limit = start + timedelta(days=_HORIZON_DAYS)
    while left and day < limit:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    days = min((end - start).days, _HORIZON_DAYS)
    return sum(1 for i in range(1, days + 1) if is_workday(start + timedelta(days=i)))
