"""The headline figures of a year: the export's 汇总 sheet and the yearly report."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.rates import shown_fraction
from relief.models import Demand, Household, Pairing, PairingKind, Project, Visit
from relief.scope import condition

from .conditions import demand_condition, overlapping, project_implemented
from .holidays import coverage_rate, holiday_coverage
from .villages import village_progress


@dataclass
class YearFigures:
    year: int
    weak_villages: int  # 经济薄弱村数
    villages_at_target: int  # 达标村数
    paired_households: int  # 结对帮扶户数
    cadres: int  # 帮扶干部数
    visits: int  # 走访次数
    spring_festival_coverage: float  # 春节慰问覆盖率 (0-1)
    mid_autumn_coverage: float  # 中秋慰问覆盖率 (0-1)
    demands: int  # 诉求数
    demands_resolved: int  # 办结诉求数
    projects: int  # 帮扶项目数
    project_beneficiaries: int  # 项目受益人数
    people_lifted: int  # 当年脱贫人数
    aid_yuan: int  # 走访帮扶资金
    #: the counts behind the two coverage rates: households paired in the window, and covered
    spring_festival_paired: int = 0
    spring_festival_covered: int = 0
    mid_autumn_paired: int = 0
    mid_autumn_covered: int = 0
    #: the households whose members make people_lifted
    households_lifted: int = 0

    def rows(self) -> list[tuple[str, float | int]]:
        """(指标, 数值) in the order of CONTRACT.md's 汇总 sheet; rates as the pages show them (relief.rates)."""
        return [
            ("经济薄弱村数", self.weak_villages), ("达标村数", self.villages_at_target),
            ("结对帮扶户数", self.paired_households), ("帮扶干部数", self.cadres), ("走访次数", self.visits),
            ("春节慰问覆盖率", shown_fraction(self.spring_festival_coverage)),
            ("中秋慰问覆盖率", shown_fraction(self.mid_autumn_coverage)),
            ("诉求数", self.demands), ("办结诉求数", self.demands_resolved), ("帮扶项目数", self.projects),
            ("项目受益人数", self.project_beneficiaries), ("当年脱贫人数", self.people_lifted),
            ("走访帮扶资金(元)", self.aid_yuan),
        ]


def _scalar(stmt, model, user):
    scope = condition(model, user)
    return db.session.scalar(stmt if scope is None else stmt.where(scope)) or 0


def year_figures(user, year: int, township_id: int | None = None) -> YearFigures:
    """Every figure from an aggregate query over what the user may see (optionally one township)."""
    first, last = date(year, 1, 1), date(year, 12, 31)

    def t(column):
        return column == township_id if township_id else sa.true()

    progress = village_progress(user, year, township_id=township_id)
    in_year = sa.and_(overlapping(Pairing, first, last), t(Pairing.township_id))
    paired = _scalar(sa.select(sa.func.count(sa.distinct(Pairing.household_id)))
                     .where(Pairing.kind == PairingKind.HOUSEHOLD, in_year), Pairing, user)
    cadres = _scalar(sa.select(sa.func.count(sa.distinct(Pairing.cadre_id))).where(in_year), Pairing, user)
    visits, aid = db.session.execute(_scoped(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Visit.aid_yuan), 0))
        .where(Visit.visited_on.between(first, last), t(Visit.township_id)), Visit, user)).one()
    demands = _scalar(sa.select(sa.func.count()).select_from(Demand)
                      .where(demand_condition("all", last, first, last), t(Demand.township_id)), Demand, user)
    resolved = _scalar(sa.select(sa.func.count()).select_from(Demand)
                       .where(demand_condition("resolved", last, first, last), t(Demand.township_id)), Demand, user)
    active = sa.and_(project_implemented(first, last), t(Project.township_id))
    projects, beneficiaries = db.session.execute(_scoped(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Project.people_benefited), 0)).where(active),
        Project, user)).one()
    households_lifted, lifted = db.session.execute(_scoped(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Household.members), 0))
        .where(Household.lifted_year == year, t(Household.township_id)), Household, user)).one()

    def coverage(kind) -> tuple[int, int]:
        rows = [c for c in holiday_coverage(user, year, kind, by="township" if township_id else None)
                if not township_id or c.key == township_id]
        return sum(c.paired for c in rows), sum(c.covered for c in rows)

    spring, autumn = coverage("spring_festival"), coverage("mid_autumn")
    return YearFigures(
        year=year, weak_villages=len(progress), villages_at_target=sum(1 for p in progress if p.reached),
        paired_households=paired, cadres=cadres, visits=visits, spring_festival_coverage=coverage_rate(*spring),
        mid_autumn_coverage=coverage_rate(*autumn), demands=demands, demands_resolved=resolved, projects=projects,
        project_beneficiaries=beneficiaries, people_lifted=lifted, aid_yuan=aid,
        spring_festival_paired=spring[0], spring_festival_covered=spring[1],
        mid_autumn_paired=autumn[0], mid_autumn_covered=autumn[1], households_lifted=households_lifted)


def _scoped(stmt, model, user):
    scope = condition(model, user)
    return stmt if scope is None else stmt.where(scope)
