"""The district's dashboard as a sum of township rows: each township's headline figures, in three
parts kept apart (what reads visits, holiday coverage, the rest), and the district's figures as
their sums (summed). A visit added to a township is taken into its kept part (visits_added)
instead of counting the township again; the result is what visit_figures would count.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Household, ProjectStatus, Township, Visit
from relief.scope import condition

from .dashboard import (
    AttendanceFigures,
    DemandFigures,
    HolidayFigures,
    HouseholdFigures,
    Overview,
    VillageFigures,
    _holiday,
    _holidays,
    contacts,
    demand_figures,
    household_counts,
    household_figures,
    narrowed,
    projects_by_township,
    village_figures,
    attendance_by_township,
    visits_by_month_and_township,
)
from .holidays import HOLIDAYS, window


def _sum(cls, parts, key=None):
    """One figures dataclass whose every count (all fields after the key) is the sum of the parts'."""
    return cls(key, *(sum(getattr(p, f.name) for p in parts) for f in fields(cls)[1:]))


def summed(rows: list[TownshipRow], year: int) -> Overview:
    """The district's Overview as the sum of its township rows (dashboard.overview)."""
    below = frozenset().union(*(r.attendance.below for r in rows))
    holidays = []
    for i, kind in enumerate(HOLIDAYS):
        start, end = window(kind, year)
        holidays.append(HolidayFigures(kind, start, end, sum(r.holidays[i].paired for r in rows),
                                       sum(r.holidays[i].covered for r in rows)))
    return Overview(
        households=_sum(HouseholdFigures, [r.households for r in rows]),
        demands=_sum(DemandFigures, [r.demands for r in rows]),
        villages=_sum(VillageFigures, [r.villages for r in rows]),
        projects={s: sum(r.projects[s] for r in rows) for s in ProjectStatus},
        attendance=AttendanceFigures(sum(r.attendance.months for r in rows),
                                     sum(r.attendance.months_met for r in rows), len(below), below),
        holidays=holidays,
        months=[sum(r.months[m] for r in rows) for m in range(12)])


@dataclass
class TownshipRow:
    """One township's figures: every headline figure of the dashboard, counted in this township.

    A figure added to the dashboard is added here too (a field, filled in township_rows from a
    query grouped by township and limited to `townships`, and summed in summed), so that the
    district's page stays a sum of rows that only a write in their township renews."""

    id: int
    name: str
    households: HouseholdFigures
    demands: DemandFigures
    villages: VillageFigures
    holidays: list[HolidayFigures]
    projects: dict[ProjectStatus, int]
    attendance: AttendanceFigures
    months: list[int]


def township_rows(user, year: int, today: date, townships: list[int] | None = None) -> list[TownshipRow]:
    """The district's drill-down: the headline figures per township, from grouped queries; only
    of the `townships` given (ids), else of every township in the user's scope."""
    return joined_rows(visit_figures(user, year, today, townships), holiday_figures(user, year, today, townships),
                       other_figures(user, year, today, townships))


@dataclass
class VisitFigures:
    """A township's figures that read all its visits (renewed by every visit written)."""

    households: HouseholdFigures
    months: list[int]


@dataclass
class OtherFigures:
    """A township's figures that read no visit (kept while only visits are written)."""

    name: str
    demands: DemandFigures
    villages: VillageFigures
    projects: dict[ProjectStatus, int]
    attendance: AttendanceFigures


def visit_figures(user, year: int, today: date, townships: list[int] | None = None) -> dict[int, VisitFigures]:
    """{township id: VisitFigures} of these townships (None: every one in the user's scope)."""
    households = {r.key: r for r in household_figures(user, today, townships, by_township=True)}
    months = visits_by_month_and_township(user, year, townships, by_township=True)
    return {tid: VisitFigures(households.get(tid) or HouseholdFigures(tid, 0, 0, 0, 0, 0, 0),
                              months.get(tid) or [0] * 12)
            for tid in _township_ids(user, townships)}


def holiday_figures(user, year: int, today: date, townships: list[int] | None = None) -> dict[int, list[HolidayFigures]]:
    """{township id: [HolidayFigures of each holiday]}: they read pairings and 慰问 visits only."""
    coverage = _holidays(user, year, by_township=True, townships=townships)
    return {tid: [_holiday(kind, year, coverage[kind].get(tid)) for kind in HOLIDAYS]
            for tid in _township_ids(user, townships)}


def other_figures(user, year: int, today: date, townships: list[int] | None = None) -> dict[int, OtherFigures]:
    """{township id: OtherFigures} of these townships (None: every one in the user's scope)."""
    demands = {r.key: r for r in demand_figures(user, year, today, townships, by_township=True)}
    villages = {r.key: r for r in village_figures(user, year, townships, by_township=True)}
    projects = projects_by_township(user, townships, by_township=True)
    attendance = attendance_by_township(user, year, townships)
    stmt = narrowed(sa.select(Township.id, Township.name), Township, user, Township.id, townships)
    return {tid: OtherFigures(name, demands.get(tid) or DemandFigures(tid, 0, 0, 0),
                              villages.get(tid) or VillageFigures(tid, 0, 0, 0),
                              projects.get(tid) or dict.fromkeys(ProjectStatus, 0),
                              attendance.get(tid) or AttendanceFigures(0, 0, 0))
            for tid, name in db.session.execute(stmt.order_by(Township.name))}


def _township_ids(user, townships) -> list[int]:
    if townships is not None and condition(Township, user) is None:
        return list(townships)
    return list(db.session.scalars(narrowed(sa.select(Township.id), Township, user, Township.id, townships)))


def joined_rows(visits: dict[int, VisitFigures], holidays: dict[int, list[HolidayFigures]],
                others: dict[int, OtherFigures]) -> list[TownshipRow]:
    """TownshipRows of the townships of all three, in the order of `others`."""
    return [TownshipRow(tid, o.name, visits[tid].households, o.demands, o.villages, holidays[tid], o.projects,
                        o.attendance, visits[tid].months) for tid, o in others.items() if tid in visits]



def visits_added(year: int, today: date, kept: dict[int, VisitFigures],
                 visits: dict[int, list[int]]) -> dict[int, VisitFigures]:
    """The VisitFigures of these townships after `visits` (ids, each township's) were added to
    what `kept` counted (a viewer who sees everything): each visit of the year adds one to its
    month, and the households visited count again, before and after, in two queries for all the
    townships (the households' visits read from the household's index), instead of the
    township's every visit. relief.cache.townships decides when this is allowed."""
    ids = sorted(v for vs in visits.values() for v in vs)
    months = {tid: list(kept[tid].months) for tid in visits}
    households: set[int] = set()
    for tid, hid, day in db.session.execute(sa.select(Visit.township_id, Visit.household_id, Visit.visited_on)
                                            .where(Visit.id.in_(ids))):
        if tid in months and day.year == year:
            months[tid][day.month - 1] += 1
        if hid is not None:
            households.add(hid)
    before, after = (_households_now(today, sorted(households), sorted(visits), without) for without in (ids, ()))
    counts = [f.name for f in fields(HouseholdFigures)[1:]]
    out = {}
    for tid in visits:
        h, b, a = kept[tid].households, before.get(tid), after.get(tid)
        out[tid] = VisitFigures(HouseholdFigures(tid, *(getattr(h, n) + (getattr(a, n) if a else 0)
                                                         - (getattr(b, n) if b else 0) for n in counts)), months[tid])
    return out


def _households_now(today: date, households: list[int], townships: list[int], without) -> dict[int, HouseholdFigures]:
    """{township id: HouseholdFigures of these households alone}, as household_figures counts
    them per township, leaving out the visits `without`."""
    if not households:
        return {}
    c = contacts(today, households, townships, without)
    stmt = household_counts(c, Household.township_id).where(Household.id.in_(households),
                                                            Household.township_id.in_(townships)) \
        .group_by(Household.township_id)
    return {row[0]: HouseholdFigures(*row) for row in db.session.execute(stmt)}
