"""Holidays (DESIGN.md rule 3): the Spring Festival and Mid-Autumn windows from the Chinese lunar
calendar, and how many paired households got a 慰问 visit inside them (coverage).

Every page, the export and the yearly report read the windows and the coverage from here; the
rows behind a coverage figure are reports.conditions.holiday_condition.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app, has_app_context
from lunardate import LunarDate

from relief.extensions import db
from relief.models import Pairing, PairingKind, Visit, VisitKind
from relief.scope import condition

#: the holidays, named as their 慰问 visit kinds are: ("spring_festival", "mid_autumn")
HOLIDAYS = tuple(kind.value for kind in VisitKind.holiday_kinds())

_DEFAULTS = {"spring_festival": ((12, 23), (1, 15)), "mid_autumn": ((8, 8), (8, 22))}
_SETTINGS = {"spring_festival": "SPRING_FESTIVAL_WINDOW", "mid_autumn": "MID_AUTUMN_WINDOW"}


def _bounds(kind: str):
    if has_app_context():
        return current_app.config[_SETTINGS[kind]]
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
    for kind in HOLIDAYS:
        for year in (day.year, day.year + 1):
            start, end = window(kind, year)
            if start <= day <= end:
                return kind
    return None


def coverage_rate(paired: int, covered: int) -> float:
    """Covered households over paired households (0 when none was paired)."""
    return covered / paired if paired else 0.0


@dataclass
class Coverage:
    key: int | None  # township, village or cadre id; None for the whole scope
    paired: int
    covered: int

    @property
    def rate(self) -> float:
        return coverage_rate(self.paired, self.covered)


def holiday_coverage(user, year: int, kind: str, by: str | None = None, townships=None) -> list[Coverage]:
    """Households paired during the holiday window, and how many got a 慰问 visit inside it.

    kind: spring_festival | mid_autumn; by: None, "township", "village" or "cadre"; townships:
    only the pairings of these (ids). A household counts once per group however many cadres or
    visits it has.
    """
    start, end = window(kind, year)
    paired = sa.and_(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.started_on <= end,
                     sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= start))
    scope = condition(Pairing, user)
    if townships is not None:
        scope = sa.and_(Pairing.township_id.in_(townships), *(() if scope is None else (scope,)))
    # the households with a 慰问 visit in the window, read once: a few weeks of one kind of visit,
    # only those of the scope's paired households when the scope is narrower than the district
    visited = sa.select(Visit.household_id.label("hid")).where(
        Visit.kind == VisitKind(kind), Visit.visited_on.between(start, end), Visit.household_id.is_not(None))
    if scope is not None:
        visited = visited.where(Visit.household_id.in_(sa.select(Pairing.household_id).where(paired, scope)))
    visited = visited.distinct().subquery("holiday_visited")
    key = {None: sa.literal(None), "township": Pairing.township_id, "village": Pairing.village_id,
           "cadre": Pairing.cadre_id}[by]
    if townships is not None:
        # a few townships (a province's renewed rows): each paired household's visits looked up by
        # its index, instead of every 慰问 visit of the window in the province
        covered = sa.exists().where(Visit.household_id == Pairing.household_id, Visit.kind == VisitKind(kind),
                                    Visit.visited_on.between(start, end))
        stmt = sa.select(key.label("key"), sa.func.count(sa.distinct(Pairing.household_id)),
                         sa.func.count(sa.distinct(Pairing.household_id)).filter(covered)).where(paired)
    else:
        stmt = (sa.select(key.label("key"), sa.func.count(sa.distinct(Pairing.household_id)),
                          sa.func.count(sa.distinct(visited.c.hid)))
                .outerjoin(visited, visited.c.hid == Pairing.household_id)
                .where(paired))
    if scope is not None:
        stmt = stmt.where(scope)
    if by:
        stmt = stmt.group_by(key)
    return [Coverage(k, paired, covered) for k, paired, covered in db.session.execute(stmt)]
