"""The headline figures of a year: the export's 汇总 sheet and the yearly report, for the scope, one
township or each township (the report's rows), from the same grouped queries, so they agree.

A pairing counts when it overlaps the year, a project when it ran during the year (implemented),
a demand when it was raised in the year (resolved: resolved in it), a household lifted when its
脱贫年度 is the year; coverage as reports.holidays counts it; villages as reports.villages.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Demand, Household, Pairing, PairingKind, Project, Township, Visit
from relief.rates import shown_fraction
from relief.scope import scoped

from .conditions import demand_condition, in_township, overlapping, project_implemented
from .holidays import HOLIDAYS, coverage_rate, holiday_coverage
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


def year_figures(user, year: int, township_id: int | None = None) -> YearFigures:
    """Every figure from an aggregate query over what the user may see (optionally one township)."""
    return _figures(user, year, township_id)[None]


def township_figures(user, year: int) -> list[tuple[int, str, YearFigures]]:
    """year_figures for every township the user may see, from one GROUP BY query per figure."""
    figures = _figures(user, year, by_township=True)
    townships = db.session.execute(scoped(sa.select(Township.id, Township.name), user, Township)
                                   .order_by(Township.name)).all()
    return [(tid, name, figures.get(tid) or _figures_of(year, {}, tid)) for tid, name in townships]


def _figures(user, year: int, township_id: int | None = None, by_township: bool = False) -> dict:
    """{township id (None unless by_township): YearFigures}."""
    first, last = date(year, 1, 1), date(year, 12, 31)

    def grouped(model, column, *values, where=()) -> dict:
        """{key: values} of one aggregate query over the scope, narrowed and grouped by `column`."""
        key = (column if by_township else sa.literal(None)).label("key")
        stmt = scoped(sa.select(key, *values).where(*where, in_township(column, township_id)), user, model)
        if by_township:
            stmt = stmt.group_by(column)
        return {k: tuple(rest) for k, *rest in db.session.execute(stmt)}

    in_year = overlapping(Pairing, first, last)
    counts = {
        "paired": grouped(Pairing, Pairing.township_id, sa.func.count(sa.distinct(Pairing.household_id)),
                          where=(Pairing.kind == PairingKind.HOUSEHOLD, in_year)),
        "cadres": grouped(Pairing, Pairing.township_id, sa.func.count(sa.distinct(Pairing.cadre_id)),
                          where=(in_year,)),
        "visits": grouped(Visit, Visit.township_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Visit.aid_yuan), 0),
                          where=(Visit.visited_on.between(first, last),)),
        "demands": grouped(Demand, Demand.township_id, sa.func.count(),
                           where=(demand_condition("all", last, first, last),)),
        "resolved": grouped(Demand, Demand.township_id, sa.func.count(),
                            where=(demand_condition("resolved", last, first, last),)),
        "projects": grouped(Project, Project.township_id, sa.func.count(),
                            sa.func.coalesce(sa.func.sum(Project.people_benefited), 0),
                            where=(project_implemented(first, last),)),
        "lifted": grouped(Household, Household.township_id, sa.func.count(),
                          sa.func.coalesce(sa.func.sum(Household.members), 0), where=(Household.lifted_year == year,)),
    }
    weak: dict = {}
    for p in village_progress(user, year, township_id=township_id):
        villages = weak.setdefault(p.township_id if by_township else None, [0, 0])
        villages[0] += 1
        villages[1] += p.reached
    counts["weak"] = weak
    for kind in HOLIDAYS:
        rows = holiday_coverage(user, year, kind, by="township" if by_township or township_id else None)
        counts[kind] = {(c.key if by_township else None): (c.paired, c.covered) for c in rows
                        if by_township or not township_id or c.key == township_id}
    keys = {k for by_key in counts.values() for k in by_key} if by_township else {None}
    return {k: _figures_of(year, counts, k) for k in keys}


def _figures_of(year: int, counts: dict, key) -> YearFigures:
    def get(name: str, n: int = 1) -> tuple:
        return counts.get(name, {}).get(key) or (0,) * n

    (visits, aid), (projects, beneficiaries), (households_lifted, lifted) = get("visits", 2), get("projects", 2), \
        get("lifted", 2)
    weak, reached = get("weak", 2)
    spring, autumn = get("spring_festival", 2), get("mid_autumn", 2)
    return YearFigures(
        year=year, weak_villages=weak, villages_at_target=reached, paired_households=get("paired")[0],
        cadres=get("cadres")[0], visits=visits, spring_festival_coverage=coverage_rate(*spring),
        mid_autumn_coverage=coverage_rate(*autumn), demands=get("demands")[0], demands_resolved=get("resolved")[0],
        projects=projects, project_beneficiaries=beneficiaries, people_lifted=lifted, aid_yuan=aid,
        spring_festival_paired=spring[0], spring_festival_covered=spring[1],
        mid_autumn_paired=autumn[0], mid_autumn_covered=autumn[1], households_lifted=households_lifted)
