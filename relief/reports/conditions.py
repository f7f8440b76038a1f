"""The row conditions behind every figure: a figure counts the rows its condition selects, and the
list a figure links to filters with the same condition, so a number and its list cannot disagree.

Households (DESIGN.md rules 2 and 3):
- paired: with an active household pairing (of one cadre, optionally);
- visited within N days: paired, with a visit dated today - N days or later; not visited: paired,
  without one;
- due / overdue: the last contact (the latest visit, else the start of the active pairing) more
  than D / 2D days ago (D = VISIT_DUE_DAYS), as reports.due_state decides for one household;
- paired during a period: a household pairing overlapping it (ended ones too);
- holiday-covered: paired during the holiday window, with a 慰问 visit inside it.
Demands: open = 待办 or 办理中; overdue = open past the deadline, or, over a period, past the
deadline and unsettled on some day of it; resolved = 已办结 (in a period: resolved in it).
Projects: implemented in a period (the yearly report) = started by its end, not finished before
its start; running (the work record) = also counting operating projects and projects with no start
date created by its end.
Cadres: paired = an active pairing (in a township); paired during a period = a pairing overlapping it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from relief.models import (
    Attendance,
    Cadre,
    Demand,
    DemandStatus,
    Household,
    Pairing,
    PairingKind,
    Project,
    ProjectStatus,
    Visit,
    VisitKind,
)

from .holidays import window

# The per-household subqueries use their own aliases, so that inside a query that already reads
# Pairing or Visit (the cadre table) they still look at all of the household's rows.
_P = aliased(Pairing, name="hh_pairing")
_V = aliased(Visit, name="hh_visit")


def in_township(column, township_id: int | None):
    """Rows of one township (a page narrowed to it), or every row the scope lets through (None)."""
    return column == township_id if township_id else sa.true()


def overlapping(model, first: date, last: date):
    """A pairing (or alias) that was active on some day from first to last."""
    return sa.and_(model.started_on <= last, sa.or_(model.ended_on.is_(None), model.ended_on >= first))


# -- households ---------------------------------------------------------------------------

def active_household_pairing(cadre_id: int | None = None):
    extra = [_P.cadre_id == cadre_id] if cadre_id is not None else []
    return sa.exists().where(_P.household_id == Household.id, _P.kind == PairingKind.HOUSEHOLD,
                             _P.ended_on.is_(None), *extra)


def last_contact():
    last_visit = sa.select(sa.func.max(_V.visited_on)).where(_V.household_id == Household.id)
    paired_since = sa.select(sa.func.min(_P.started_on)).where(
        _P.household_id == Household.id, _P.kind == PairingKind.HOUSEHOLD, _P.ended_on.is_(None))
    return sa.func.coalesce(last_visit.scalar_subquery(), paired_since.scalar_subquery())


def due_condition(state: str, today: date):
    """Paired households in cadence state ok / due / overdue, as reports.due_state decides."""
    d = current_app.config["VISIT_DUE_DAYS"]
    last = last_contact()
    if state == "overdue":
        clause = last < today - timedelta(days=2 * d)
    elif state == "due":
        clause = sa.and_(last < today - timedelta(days=d), last >= today - timedelta(days=2 * d))
    elif state == "ok":
        clause = last >= today - timedelta(days=d)
    else:
        raise ValueError(state)
    return sa.and_(active_household_pairing(), clause)


def _visit_since(today: date, days: int):
    return sa.exists().where(_V.household_id == Household.id, _V.visited_on >= today - timedelta(days=days))


def visited_within(days: int, today: date):
    """Paired, with a visit dated today - `days` or later."""
    return sa.and_(active_household_pairing(), _visit_since(today, days))


def not_visited_within(days: int, today: date):
    """Paired, without a visit dated today - `days` or later."""
    return sa.and_(active_household_pairing(), ~_visit_since(today, days))


def paired_during(first: date, last: date, cadre_id: int | None = None):
    """A household pairing (of the cadre) overlapping first..last, ended ones included."""
    extra = [_P.cadre_id == cadre_id] if cadre_id is not None else []
    return sa.exists().where(_P.household_id == Household.id, _P.kind == PairingKind.HOUSEHOLD,
                             overlapping(_P, first, last), *extra)


def holiday_condition(kind: str, year: int, covered: bool | None = None, cadre_id: int | None = None):
    """Households paired (with the cadre) during the holiday window; with `covered`, only those
    with (True) or without (False) a 慰问 visit inside it, by anyone (reports.holiday_coverage)."""
    start, end = window(kind, year)
    paired = paired_during(start, end, cadre_id)
    if covered is None:
        return paired
    visited = sa.exists().where(_V.household_id == Household.id, _V.kind == VisitKind(kind),
                                _V.visited_on.between(start, end))
    return sa.and_(paired, visited if covered else ~visited)


# -- demands ----------------------------------------------------------------------------------

def demand_overdue_during(first: date, last: date, today: date):
    """Past the deadline and unsettled on some day from first to min(last, today): still open, or
    settled only after the deadline and not before `first` (the work record's 超期诉求)."""
    until = min(last, today)
    if until < first:
        return sa.false()
    settled_late = sa.and_(Demand.status.in_(DemandStatus.closed_statuses()), Demand.resolved_on.is_not(None),
                           Demand.resolved_on > Demand.deadline, Demand.resolved_on >= first)
    return sa.and_(Demand.deadline < until, sa.or_(Demand.status.in_(DemandStatus.open_statuses()), settled_late))


def demand_condition(state: str, today: date, first: date | None = None, last: date | None = None):
    """Demands in `state`; with a period, the date that falls in it is the one the state is about:
    settled ones by when they were settled, overdue ones by the days they were overdue, the rest
    (open, all) by when they were raised."""
    is_open = Demand.status.in_(DemandStatus.open_statuses())
    period = first is not None
    if state == "overdue":
        return demand_overdue_during(first, last, today) if period else sa.and_(is_open, Demand.deadline < today)
    settled_on = Demand.resolved_on.between(first, last) if period else sa.true()
    raised = Demand.raised_on.between(first, last) if period else sa.true()
    if state == "open":
        return sa.and_(is_open, raised)
    if state == "resolved":
        return sa.and_(Demand.status == DemandStatus.RESOLVED, settled_on)
    if state == "cannot_resolve":
        return sa.and_(Demand.status == DemandStatus.CANNOT_RESOLVE, settled_on)
    if state == "closed":
        return sa.and_(~is_open, settled_on)
    if state == "all":
        return raised
    raise ValueError(state)


# -- visits -----------------------------------------------------------------------------------

def visit_kind_condition(kind: str):
    """One kind of visit, or `holiday`: both 慰问 kinds (the work record's 节日慰问)."""
    if kind == "holiday":
        return Visit.kind.in_(VisitKind.holiday_kinds())
    return Visit.kind == VisitKind(kind)


# -- projects ---------------------------------------------------------------------------------

def project_implemented(first: date, last: date):
    """Under way at some point from first to last: the yearly report's 帮扶项目."""
    return sa.and_(Project.started_on <= last, sa.or_(Project.finished_on.is_(None), Project.finished_on >= first))


def project_running(first: date, last: date):
    """Being built or operating at some point from first to last: the work record's 负责项目."""
    created_by = datetime.combine(last + timedelta(days=1), datetime.min.time())
    return sa.and_(
        sa.or_(Project.started_on <= last, sa.and_(Project.started_on.is_(None), Project.created_at < created_by)),
        sa.or_(Project.finished_on.is_(None), Project.finished_on >= first, Project.status == ProjectStatus.OPERATING))


# -- cadres -----------------------------------------------------------------------------------

def cadre_paired(township_id: int | None = None, first: date | None = None, last: date | None = None):
    """With an active pairing (or, given a period, one overlapping it), in the township if given."""
    stmt = sa.select(Pairing.cadre_id)
    stmt = stmt.where(overlapping(Pairing, first, last)) if first is not None else \
        stmt.where(Pairing.ended_on.is_(None))
    if township_id is not None:
        stmt = stmt.where(Pairing.township_id == township_id)
    return Cadre.id.in_(stmt)


def cadre_stationed():
    return Cadre.id.in_(sa.select(Pairing.cadre_id).where(Pairing.kind.in_(PairingKind.stationed_kinds()), Pairing.ended_on.is_(None)))


def cadre_attendance_below(year: int, township_id: int | None = None):
    """Still stationed, with at least one month of the year under the norm (the dashboard's figure)."""
    norm = current_app.config["ATTENDANCE_NORM_DAYS"]
    below = (sa.select(Pairing.cadre_id).join(Attendance, Attendance.pairing_id == Pairing.id)
             .where(Pairing.kind.in_(PairingKind.stationed_kinds()), Pairing.ended_on.is_(None),
                    Attendance.year == year, Attendance.days < norm))
    if township_id is not None:
        below = below.where(Pairing.township_id == township_id)
    return Cadre.id.in_(below)
