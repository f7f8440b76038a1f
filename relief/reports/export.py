"""Per-row aggregates of a year for the export workbook and the yearly report.

Each function is a fixed number of GROUP BY queries over what the user may see (and,
optionally, one township); the long lists are generators streamed with yield_per so a
district's year never sits in memory. The year's definitions match yearly.year_figures:
a pairing counts when it overlaps the year, a project when it ran during the year.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    Cadre,
    Demand,
    DemandStatus,
    Household,
    HouseholdIncome,
    Pairing,
    PairingKind,
    Project,
    Township,
    Unit,
    Village,
    VillageIncome,
    Visit,
    VisitKind,
)
from relief.scope import condition, scoped

from .holidays import HOLIDAYS, coverage_rate, holiday_coverage
from .villages import VillageProgress, village_progress
from .conditions import demand_condition, project_implemented
from .yearly import YearFigures

STREAM = {"yield_per": 2000}


def _bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _in(column, township_id):
    return column == township_id if township_id else sa.true()


def _scope(stmt, model, user):
    clause = condition(model, user)
    return stmt if clause is None else stmt.where(clause)


def _pairings_in_year(year: int, township_id: int | None):
    first, last = _bounds(year)
    return sa.and_(Pairing.started_on <= last, sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= first),
                   _in(Pairing.township_id, township_id))


def village_rows(user, year: int, township_id: int | None = None,
                 years: int = 3) -> tuple[list[int], list[tuple[VillageProgress, dict[int, int]]]]:
    """Weak villages with this year's progress and their income in each of the last `years` years."""
    progress = village_progress(user, year, township_id=township_id)
    span = list(range(year - years + 1, year + 1))
    weak = scoped(sa.select(Village.id).where(Village.is_weak, _in(Village.township_id, township_id)), user, Village)
    incomes: dict[int, dict[int, int]] = {}
    for vid, y, income in db.session.execute(
            sa.select(VillageIncome.village_id, VillageIncome.year, VillageIncome.income_yuan)
            .where(VillageIncome.year.in_(span), VillageIncome.village_id.in_(weak))):
        incomes.setdefault(vid, {})[y] = income
    return span, [(p, incomes.get(p.id, {})) for p in progress]


def household_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every household paired during the year: its cadres, visits, holiday visits, demands, income."""
    first, last = _bounds(year)
    pairs = _scope(sa.select(Pairing.household_id, Pairing.cadre_id)
                   .where(Pairing.kind == PairingKind.HOUSEHOLD, _pairings_in_year(year, township_id)),
                   Pairing, user).distinct().subquery()
    cadres = (sa.select(pairs.c.household_id, sa.func.aggregate_strings(Cadre.name, "、").label("names"))
              .join(Cadre, Cadre.id == pairs.c.cadre_id).group_by(pairs.c.household_id).subquery())
    visits = (sa.select(Visit.household_id, sa.func.count().label("n"),
                        sa.func.count().filter(Visit.kind.in_(VisitKind.holiday_kinds())).label("holiday"))
              .where(Visit.household_id.is_not(None), Visit.visited_on.between(first, last),
                     _in(Visit.township_id, township_id))
              .group_by(Visit.household_id).subquery())
    raised = Demand.raised_on.between(first, last)
    resolved = sa.and_(Demand.status == DemandStatus.RESOLVED, Demand.resolved_on.between(first, last))
    demands = (sa.select(Demand.household_id, sa.func.count().filter(raised).label("raised"),
                         sa.func.count().filter(resolved).label("resolved"))
               .where(Demand.household_id.is_not(None), sa.or_(raised, resolved))
               .group_by(Demand.household_id).subquery())
    income = (sa.select(HouseholdIncome.household_id, HouseholdIncome.per_capita_yuan)
              .where(HouseholdIncome.year == year).subquery())
    stmt = (sa.select(Township.name.label("township"), Village.name.label("village"), Household.head_name,
                      Household.id_number, Household.phone, Household.members, Household.cause, Household.status,
                      Household.monitor_category, Household.lifted_year, cadres.c.names.label("cadres"),
                      sa.func.coalesce(visits.c.n, 0).label("visits"),
                      sa.func.coalesce(visits.c.holiday, 0).label("holiday_visits"),
                      sa.func.coalesce(demands.c.raised, 0).label("demands"),
                      sa.func.coalesce(demands.c.resolved, 0).label("resolved"),
                      income.c.per_capita_yuan.label("income"))
            .select_from(Household)
            .join(cadres, cadres.c.household_id == Household.id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Household.township_id)
            .outerjoin(visits, visits.c.household_id == Household.id)
            .outerjoin(demands, demands.c.household_id == Household.id)
            .outerjoin(income, income.c.household_id == Household.id)
            .order_by(Township.name, Village.name, Household.head_name, Household.id))
    yield from db.session.execute(_scope(stmt, Household, user), execution_options=STREAM)


_KIND_LABEL = sa.case((Pairing.kind == PairingKind.LINK, "挂钩"), (Pairing.kind == PairingKind.STATIONED, "驻村"),
                      else_="驻村工作队")


def cadre_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every cadre with a pairing during the year: households, villages, visits, demands resolved."""
    first, last = _bounds(year)
    in_year = _pairings_in_year(year, township_id)
    base = _scope(sa.select(Pairing.cadre_id).where(in_year), Pairing, user).distinct().subquery()
    households = _scope(sa.select(Pairing.cadre_id, sa.func.count(sa.distinct(Pairing.household_id)).label("n"))
                        .where(in_year, Pairing.kind == PairingKind.HOUSEHOLD), Pairing, user) \
        .group_by(Pairing.cadre_id).subquery()
    place_rows = _scope(sa.select(Pairing.cadre_id, (Village.name + "（" + _KIND_LABEL + "）").label("place"))
                        .join(Village, Village.id == Pairing.village_id)
                        .where(in_year, Pairing.kind != PairingKind.HOUSEHOLD), Pairing, user).distinct().subquery()
    places = (sa.select(place_rows.c.cadre_id, sa.func.aggregate_strings(place_rows.c.place, "、").label("places"))
              .group_by(place_rows.c.cadre_id).subquery())
    visits = _scope(sa.select(Visit.cadre_id, sa.func.count().label("n"))
                    .where(Visit.visited_on.between(first, last), _in(Visit.township_id, township_id)), Visit, user) \
        .group_by(Visit.cadre_id).subquery()
    raised = Demand.raised_on.between(first, last)
    resolved = sa.and_(Demand.status == DemandStatus.RESOLVED, Demand.resolved_on.between(first, last))
    demands = _scope(sa.select(Demand.owner_id, sa.func.count().filter(raised).label("raised"),
                               sa.func.count().filter(resolved).label("resolved"))
                     .where(sa.or_(raised, resolved), _in(Demand.township_id, township_id)), Demand, user) \
        .group_by(Demand.owner_id).subquery()
    stmt = (sa.select(Cadre.name, Unit.name.label("unit"), Cadre.title, Cadre.rank, Cadre.phone,
                      sa.func.coalesce(households.c.n, 0).label("households"), places.c.places,
                      sa.func.coalesce(visits.c.n, 0).label("visits"),
                      sa.func.coalesce(demands.c.raised, 0).label("demands"),
                      sa.func.coalesce(demands.c.resolved, 0).label("resolved"))
            .select_from(Cadre)
            .join(base, base.c.cadre_id == Cadre.id)
            .join(Unit, Unit.id == Cadre.unit_id)
            .outerjoin(households, households.c.cadre_id == Cadre.id)
            .outerjoin(places, places.c.cadre_id == Cadre.id)
            .outerjoin(visits, visits.c.cadre_id == Cadre.id)
            .outerjoin(demands, demands.c.owner_id == Cadre.id)
            .order_by(Unit.name, Cadre.name, Cadre.id))
    yield from db.session.execute(stmt, execution_options=STREAM)


def project_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Projects under way at some point of the year (as 帮扶项目数 counts them)."""
    first, last = _bounds(year)
    stmt = (sa.select(Township.name.label("township"), Village.name.label("village"), Project.name, Project.type,
                      Project.status, Cadre.name.label("cadre"), Project.funding_source, Project.funding_yuan,
                      Project.started_on, Project.finished_on, Project.expected_income_yuan,
                      Project.actual_income_yuan, Project.households_benefited, Project.people_benefited)
            .join(Village, Village.id == Project.village_id)
            .join(Township, Township.id == Project.township_id)
            .outerjoin(Cadre, Cadre.id == Project.responsible_cadre_id)
            .where(Project.started_on <= last, sa.or_(Project.finished_on.is_(None), Project.finished_on >= first),
                   _in(Project.township_id, township_id))
            .order_by(Township.name, Village.name, Project.name, Project.id))
    yield from db.session.execute(_scope(stmt, Project, user), execution_options=STREAM)


def visit_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every visit of the year in date order."""
    first, last = _bounds(year)
    stmt = (sa.select(Visit.visited_on, Township.name.label("township"), Village.name.label("village"),
                      Household.head_name, Cadre.name.label("cadre"), Visit.kind, Visit.aid_yuan, Visit.notes,
                      Visit.recorded_at)
            .join(Village, Village.id == Visit.village_id)
            .join(Township, Township.id == Visit.township_id)
            .join(Cadre, Cadre.id == Visit.cadre_id)
            .outerjoin(Household, Household.id == Visit.household_id)
            .where(Visit.visited_on.between(first, last), _in(Visit.township_id, township_id))
            .order_by(Visit.visited_on, Visit.id))
    yield from db.session.execute(_scope(stmt, Visit, user), execution_options=STREAM)


def township_figures(user, year: int) -> list[tuple[int, str, YearFigures]]:
    """year_figures for every township the user may see, from one GROUP BY query per figure."""
    first, last = _bounds(year)
    townships = db.session.execute(scoped(sa.select(Township.id, Township.name), user, Township)
                                   .order_by(Township.name)).all()

    def grouped(stmt, model, key, n=1) -> dict:
        rows = db.session.execute(_scope(stmt, model, user).group_by(key)).all()
        return {r[0]: (r[1] if n == 1 else tuple(r[1:])) for r in rows}

    in_year = _pairings_in_year(year, None)
    paired = grouped(sa.select(Pairing.township_id, sa.func.count(sa.distinct(Pairing.household_id)))
                     .where(Pairing.kind == PairingKind.HOUSEHOLD, in_year), Pairing, Pairing.township_id)
    cadres = grouped(sa.select(Pairing.township_id, sa.func.count(sa.distinct(Pairing.cadre_id))).where(in_year),
                     Pairing, Pairing.township_id)
    visits = grouped(sa.select(Visit.township_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Visit.aid_yuan), 0))
                     .where(Visit.visited_on.between(first, last)), Visit, Visit.township_id, 2)
    raised = grouped(sa.select(Demand.township_id, sa.func.count()).where(demand_condition("all", last, first, last)),
                     Demand, Demand.township_id)
    resolved = grouped(sa.select(Demand.township_id, sa.func.count())
                       .where(demand_condition("resolved", last, first, last)), Demand, Demand.township_id)
    projects = grouped(sa.select(Project.township_id, sa.func.count(),
                                 sa.func.coalesce(sa.func.sum(Project.people_benefited), 0))
                       .where(project_implemented(first, last)), Project, Project.township_id, 2)
    lifted = grouped(sa.select(Household.township_id, sa.func.count(),
                               sa.func.coalesce(sa.func.sum(Household.members), 0))
                     .where(Household.lifted_year == year), Household, Household.township_id, 2)
    weak: dict[int, list[int]] = {}
    for p in village_progress(user, year):
        counts = weak.setdefault(p.township_id, [0, 0])
        counts[0] += 1
        counts[1] += p.reached
    coverage = {kind: {c.key: (c.paired, c.covered) for c in holiday_coverage(user, year, kind, by="township")}
                for kind in HOLIDAYS}
    out = []
    for tid, name in townships:
        v, aid = visits.get(tid, (0, 0))
        n_projects, beneficiaries = projects.get(tid, (0, 0))
        w, reached = weak.get(tid, (0, 0))
        spring = coverage["spring_festival"].get(tid, (0, 0))
        autumn = coverage["mid_autumn"].get(tid, (0, 0))
        out.append((tid, name, YearFigures(
            year=year, weak_villages=w, villages_at_target=reached, paired_households=paired.get(tid, 0),
            cadres=cadres.get(tid, 0), visits=v, spring_festival_coverage=coverage_rate(*spring),
            mid_autumn_coverage=coverage_rate(*autumn), demands=raised.get(tid, 0),
            demands_resolved=resolved.get(tid, 0), projects=n_projects, project_beneficiaries=beneficiaries,
            people_lifted=lifted.get(tid, (0, 0))[1], households_lifted=lifted.get(tid, (0, 0))[0],
            aid_yuan=aid, spring_festival_paired=spring[0],
            spring_festival_covered=spring[1], mid_autumn_paired=autumn[0], mid_autumn_covered=autumn[1])))
    return out
