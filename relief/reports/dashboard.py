"""The township dashboard's figures, each from one aggregate query over what the user may see.

Every figure can be narrowed to one township (the district's drill-down) or grouped by township
(`by_township=True`: one row per township). The conditions that define a figure (.conditions)
are also the filters of the list behind it (relief.filters), so a number and its list agree. The
home's headline figures are these (relief.main.figures.summary); the dashboard page's cadre table
(relief.dashboard.cadres) reads the same per-household aggregates (`contacts`).

Definitions:
- needing: households in 贫困 or 监测户 status; paired: with an active household pairing.
- visited within N days: paired, with a visit dated today - N days or later (N = 30, 90).
- due / overdue (DESIGN.md rule 2, as reports.due_state): the last contact (latest visit, else the
  start of the active pairing) more than D / 2D days ago; D = VISIT_DUE_DAYS.
- demands: open = 待办 or 办理中; overdue = open past the deadline; resolved = 已办结 in the year.
- weak villages at target: income of the year >= target (relief.targets, the same band as the map).
- attendance: months recorded in the year by stationed cadres and teams, and those >= the norm;
  cadres below: still stationed, with at least one month under the norm in the year.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from relief.extensions import db
from relief.models import (
    Attendance,
    Demand,
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Project,
    ProjectStatus,
    Township,
    Village,
    Visit,
)
from relief.scope import condition, scoped
from relief.targets import village_band

from .conditions import _P, _V, demand_condition
from .holidays import HOLIDAYS, coverage_rate, holiday_coverage, window

VISITED_WINDOWS = (30, 90)


def narrowed(stmt, model, user, township_column=None, township_id=None):
    """`stmt` limited to what the user may see (scope.scoped) and, if given, to one township (an
    id) or to some (a list of ids)."""
    stmt = scoped(stmt, user, model)
    if isinstance(township_id, (list, tuple)):
        return stmt.where(township_column.in_(township_id))
    return stmt.where(township_column == township_id) if township_id else stmt


def _key(column, by_township: bool):
    return (column if by_township else sa.literal(None)).label("key")


# -- households ---------------------------------------------------------------------------

@dataclass
class HouseholdFigures:
    key: int | None
    needing: int
    needing_paired: int
    paired: int
    visited_30: int
    visited_90: int
    overdue: int

    @property
    def paired_rate(self) -> float:
        return self.needing_paired / self.needing if self.needing else 1.0

    def visited_rate(self, days: int) -> float:
        return (self.visited_30 if days == 30 else self.visited_90) / self.paired if self.paired else 0.0


@dataclass
class Contacts:
    """Per-household aggregates over the households in view, for the figures of one day.

    active: the household's active household pairings (hid, since = the earliest start);
    recent: its latest visit (hid, last) among the visits of the last `window` days only, so the
    work follows the recent visits, not every year of history. Joined to Household they answer
    paired / visited within 30 or 90 days / overdue exactly as the EXISTS conditions above do,
    in one pass instead of a lookup per household and condition."""

    active: sa.Subquery
    recent: sa.Subquery
    today: date
    due_days: int
    #: visits left out, as if they were not there (the figures before them: reports.townships)
    without: tuple[int, ...] = ()

    @property
    def paired(self):
        return self.active.c.hid.is_not(None)

    def visited_within(self, days: int):
        return sa.and_(self.paired, self.recent.c["last"] >= self.today - timedelta(days=days))

    def overdue(self, household_id):
        """The last contact (latest visit, else the pairing's start) more than 2D days ago. With no
        visit in the window, any older visit is before the cutoff: only a household paired within
        2D days needs to know whether it has one (CASE: the lookup runs for those alone)."""
        cutoff = self.today - timedelta(days=2 * self.due_days)
        any_visit = sa.exists().where(_V.household_id == household_id)
        if self.without:
            any_visit = any_visit.where(_V.id.not_in(self.without))
        return sa.and_(self.paired, sa.or_(
            self.recent.c["last"] < cutoff,
            sa.and_(self.recent.c["last"].is_(None),
                    sa.case((self.active.c.since < cutoff, sa.true()), else_=any_visit)))).self_group()


def contacts(today: date, households=None, townships=None, without=()) -> Contacts:
    """The aggregates over `households` (a select of ids; None: every household), or over the
    households of `townships` (ids; a household's pairings and visits carry its township, so
    these are read from the township's indexes); `without`: ids of visits to leave out."""
    d = current_app.config["VISIT_DUE_DAYS"]
    window = max(VISITED_WINDOWS[-1], 2 * d)
    active = sa.select(_P.household_id.label("hid"), sa.func.min(_P.started_on).label("since")) \
        .where(_P.kind == PairingKind.HOUSEHOLD, _P.ended_on.is_(None))
    recent = sa.select(_V.household_id.label("hid"), sa.func.max(_V.visited_on).label("last")) \
        .where(_V.household_id.is_not(None), _V.visited_on >= today - timedelta(days=window))
    if households is not None:
        active = active.where(_P.household_id.in_(households))
        recent = recent.where(_V.household_id.in_(households))
    if townships is not None:
        active = active.where(_P.township_id.in_(townships))
        recent = recent.where(_V.township_id.in_(townships))
    if without:
        recent = recent.where(_V.id.not_in(without))
    return Contacts(active.group_by(_P.household_id).subquery("active"),
                     recent.group_by(_V.household_id).subquery("recent"), today, d, tuple(without))


def household_counts(c: Contacts, key):
    """SELECT key and HouseholdFigures' counts FROM household joined to the contacts `c`."""
    needing = Household.status.in_(HouseholdStatus.needing())
    return sa.select(
        key, sa.func.count().filter(needing),
        sa.func.count().filter(needing, c.paired), sa.func.count().filter(c.paired),
        sa.func.count().filter(c.visited_within(30)), sa.func.count().filter(c.visited_within(90)),
        sa.func.count().filter(c.overdue(Household.id)),
    ).select_from(Household).outerjoin(c.active, c.active.c.hid == Household.id) \
        .outerjoin(c.recent, c.recent.c.hid == Household.id)


def household_figures(user, today: date, township_id=None, by_township=False) -> list[HouseholdFigures]:
    in_view = None
    if isinstance(township_id, (list, tuple)) and condition(Household, user) is None:
        c = contacts(today, townships=township_id)
    else:
        if condition(Household, user) is not None or township_id:
            in_view = narrowed(sa.select(Household.id), Household, user, Household.township_id, township_id)
        c = contacts(today, in_view)
    stmt = household_counts(c, _key(Household.township_id, by_township))
    stmt = narrowed(stmt, Household, user, Household.township_id, township_id)
    if by_township:
        stmt = stmt.group_by(Household.township_id)
    return [HouseholdFigures(*row) for row in db.session.execute(stmt)]


# -- demands, villages, projects, attendance, visits --------------------------------------

@dataclass
class DemandFigures:
    key: int | None
    open: int
    overdue: int
    resolved: int


def demand_figures(user, year: int, today: date, township_id=None, by_township=False) -> list[DemandFigures]:
    stmt = sa.select(
        _key(Demand.township_id, by_township), sa.func.count().filter(demand_condition("open", today)),
        sa.func.count().filter(demand_condition("overdue", today)),
        sa.func.count().filter(demand_condition("resolved", today, date(year, 1, 1), date(year, 12, 31))),
    ).select_from(Demand)
    stmt = narrowed(stmt, Demand, user, Demand.township_id, township_id)
    if by_township:
        stmt = stmt.group_by(Demand.township_id)
    return [DemandFigures(*row) for row in db.session.execute(stmt)]


@dataclass
class VillageFigures:
    key: int | None
    weak: int
    reached: int
    red: int


def village_figures(user, year: int, township_id=None, by_township=False) -> list[VillageFigures]:
    stmt = sa.select(_key(Village.township_id, by_township), sa.func.count(),
                     sa.func.count().filter(village_band("green", year)),
                     sa.func.count().filter(village_band("red", year))).where(Village.is_weak)
    stmt = narrowed(stmt, Village, user, Village.township_id, township_id)
    if by_township:
        stmt = stmt.group_by(Village.township_id)
    return [VillageFigures(*row) for row in db.session.execute(stmt)]


def projects_by_status(user, township_id=None) -> dict[ProjectStatus, int]:
    return projects_by_township(user, township_id).get(None) or dict.fromkeys(ProjectStatus, 0)


def projects_by_township(user, townships=None, by_township=False) -> dict[int | None, dict[ProjectStatus, int]]:
    """{township id (None when not grouped): {status: projects}}."""
    key = _key(Project.township_id, by_township)
    stmt = narrowed(sa.select(key, Project.status, sa.func.count()).group_by(key, Project.status), Project, user,
                    Project.township_id, townships)
    counts: dict = {}
    for tid, status, n in db.session.execute(stmt):
        counts.setdefault(tid, dict.fromkeys(ProjectStatus, 0))[status] = n
    return counts


@dataclass
class AttendanceFigures:
    months: int
    months_met: int
    cadres_below: int
    #: the cadres below (a township row's, so that the district counts a cadre of two townships once)
    below: frozenset[int] = field(default=frozenset(), compare=False, repr=False)

    @property
    def rate(self) -> float:
        return self.months_met / self.months if self.months else 0.0


def _attendance(year: int):
    norm = current_app.config["ATTENDANCE_NORM_DAYS"]
    p = aliased(Pairing)  # the user's scope reads Pairing in a subquery of its own
    return p, norm, sa.and_(Attendance.year == year, p.kind.in_(PairingKind.stationed_kinds()))


def attendance_figures(user, year: int, township_id=None) -> AttendanceFigures:
    p, norm, where = _attendance(year)
    stmt = (sa.select(sa.func.count(), sa.func.count().filter(Attendance.days >= norm),
                      sa.func.count(sa.distinct(sa.case((sa.and_(Attendance.days < norm, p.ended_on.is_(None)),
                                                         p.cadre_id)))))
            .select_from(Attendance).join(p, p.id == Attendance.pairing_id).where(where))
    return AttendanceFigures(*db.session.execute(narrowed(stmt, Attendance, user, p.township_id, township_id)).one())


def attendance_by_township(user, year: int, townships=None) -> dict[int, AttendanceFigures]:
    """attendance_figures per township, each with the ids of its cadres below the norm."""
    p, norm, where = _attendance(year)
    norm = sa.literal_column(str(int(norm)))  # not a parameter: GROUP BY repeats the expressions
    met, below = Attendance.days >= norm, sa.and_(Attendance.days < norm, p.ended_on.is_(None))
    stmt = (sa.select(p.township_id, met, below, p.cadre_id, sa.func.count())
            .select_from(Attendance).join(p, p.id == Attendance.pairing_id).where(where)
            .group_by(p.township_id, met, below, p.cadre_id))
    months: dict[int, list] = {}
    # plain rows (a province's: one per cadre), no ORM loading
    for tid, met, below, cadre, n in db.session.connection().execute(
            narrowed(stmt, Attendance, user, p.township_id, townships)).all():
        m = months.setdefault(tid, [0, 0, set()])
        m[0] += n
        m[1] += n if met else 0
        if below:
            m[2].add(cadre)
    return {tid: AttendanceFigures(n, met, len(below), frozenset(below)) for tid, (n, met, below) in months.items()}


def visits_by_month(user, year: int, township_id=None) -> list[int]:
    """Visits dated in each month of the year, January first."""
    return visits_by_month_and_township(user, year, township_id).get(None) or [0] * 12


def visits_by_month_and_township(user, year: int, townships=None, by_township=False) -> dict[int | None, list[int]]:
    """{township id (None when not grouped): visits dated in each month of the year, January first}.
    Counted per date first (the township's date index gives the dates in order: no sort of the
    year's visits), then per month."""
    key = _key(Visit.township_id, by_township)
    per_day = narrowed(sa.select(key, Visit.visited_on.label("day"), sa.func.count().label("n"))
                       .where(Visit.visited_on.between(date(year, 1, 1), date(year, 12, 31)))
                       .group_by(key, Visit.visited_on), Visit, user, Visit.township_id, townships).subquery()
    month = sa.extract("month", per_day.c.day)
    stmt = sa.select(per_day.c.key, month, sa.func.sum(per_day.c.n)).group_by(per_day.c.key, month)
    counts: dict = {}
    for tid, m, n in db.session.execute(stmt):
        counts.setdefault(tid, [0] * 12)[int(m) - 1] = int(n)
    return counts


# -- holidays, and the page as a whole -------------------------------------------------------

@dataclass
class HolidayFigures:
    kind: str
    start: date
    end: date
    paired: int
    covered: int

    @property
    def rate(self) -> float:
        return coverage_rate(self.paired, self.covered)


def _holidays(user, year: int, by_township: bool, townships=None) -> dict[str, dict]:
    """{kind: {township id or None: Coverage}} from reports.holidays, one query per holiday."""
    return {kind: {c.key: c for c in holiday_coverage(user, year, kind, by="township" if by_township else None,
                                                      townships=townships)}
            for kind in HOLIDAYS}


def _holiday(kind: str, year: int, coverage) -> HolidayFigures:
    start, end = window(kind, year)
    return HolidayFigures(kind, start, end, coverage.paired if coverage else 0, coverage.covered if coverage else 0)


@dataclass
class Overview:
    households: HouseholdFigures
    demands: DemandFigures
    villages: VillageFigures
    projects: dict[ProjectStatus, int]
    attendance: AttendanceFigures
    holidays: list[HolidayFigures]
    months: list[int]


def overview(user, year: int, today: date, township_id=None, rows: list | None = None) -> Overview:
    """Every headline figure of the dashboard for the user's scope, optionally one township.

    With the `rows` of township_rows (the whole scope, every township), every figure is their sum
    instead of a query of its own: each row counts once, in its township, so the sums are the
    totals. What does not add up is kept so that it does: rates as their numerator and
    denominator (households paired, visited, covered), the cadres below the attendance norm as
    their ids (a cadre stationed in two townships counts once)."""
    if rows is not None and not township_id:
        from .townships import summed

        return summed(rows, year)
    coverage = _holidays(user, year, by_township=bool(township_id))
    [households] = household_figures(user, today, township_id)
    [demands] = demand_figures(user, year, today, township_id)
    [villages] = village_figures(user, year, township_id)
    return Overview(households=households, demands=demands, villages=villages,
                    projects=projects_by_status(user, township_id),
                    attendance=attendance_figures(user, year, township_id),
                    holidays=[_holiday(kind, year, coverage[kind].get(township_id)) for kind in HOLIDAYS],
                    months=visits_by_month(user, year, township_id))


# the district's figures as sums of township rows (relief.reports.townships), where they were first
from .townships import (  # noqa: E402
    OtherFigures,
    TownshipRow,
    VisitFigures,
    holiday_figures,
    joined_rows,
    other_figures,
    township_rows,
    visit_figures,
)

__all__ = ["AttendanceFigures", "Contacts", "DemandFigures", "HolidayFigures", "HouseholdFigures", "OtherFigures",
           "Overview", "TownshipRow", "VillageFigures", "VisitFigures", "attendance_by_township",
           "attendance_figures", "contacts", "demand_figures", "holiday_figures", "household_counts",
           "household_figures",
           "joined_rows", "narrowed", "other_figures", "overview", "projects_by_status", "projects_by_township",
           "township_rows", "village_figures", "visit_figures", "visits_by_month", "visits_by_month_and_township"]
