"""The dashboard's figures for one view of it, kept between requests while the data is unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from relief.cache import DISTRICT, cached, cached_by_township
from relief.flags import services as flags
from relief.filters import township_choices
from relief.monitoring import figures as monitoring_figures
from relief.reports import dashboard

from .cadres import CadreRow, cadre_names, cadre_parts, cadre_table, merged_cadre_table
from relief.scope import FLAG_READERS, own_township_id, sees_everything, viewer_scope


class TownshipChoice(NamedTuple):
    id: int
    name: str


@dataclass
class DashboardPage:
    figures: dashboard.Overview
    cadres: list[CadreRow]
    total: int
    drill: list[dashboard.TownshipRow]
    townships: list[TownshipChoice]
    #: for scope.FLAG_READERS: how many visits of the year have each flag reason; None for others
    flag_counts: dict[str, int] | None = None
    monitoring: MonitoringFigures | None = None


@dataclass
class MonitoringFigures:
    """The 防返贫监测 block: each number is counted in monitoring.figures and links to its queue rows."""

    leads: dict[tuple[str, str], int]
    overdue: dict[str, int]
    monitored: dict[str, int]
    cleared: int

    @property
    def lead_total(self) -> int:
        return sum(self.leads.values())

    @property
    def by_source(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (source, _step), n in self.leads.items():
            out[source] = out.get(source, 0) + n
        return out

    @property
    def overdue_cases(self) -> int:
        return sum(n for step, n in self.overdue.items() if step != "reported")


def monitoring_block(user, year: int, today: date, township_id: int | None) -> MonitoringFigures:
    return MonitoringFigures(monitoring_figures.leads_by_source_and_step(user, year, township_id),
                             monitoring_figures.overdue_steps(user, today, township_id),
                             monitoring_figures.monitored_by_category(user, township_id),
                             monitoring_figures.cleared_in_year(user, year, township_id))


def figures_township(user, township_id: int | None) -> int | None:
    """The township whose data a view of the figures reads (None: the whole district)."""
    return township_id or own_township_id(user)


def township_rows(user, year: int, today: date, townships: list[int]) -> list[dashboard.TownshipRow]:
    """The rows of these townships (every one, for a viewer who sees everything), each kept while
    its township is unchanged: after a write, only the townships written to are computed again;
    the district's figures are their sums (dashboard.overview)."""
    rows = cached_by_township("dashboard-township", townships, (year, today),
                              lambda due: {r.id: r for r in dashboard.township_rows(user, year, today, due)})
    return [rows[tid] for tid in townships]


def district_cadre_table(user, year: int, today: date, townships: list[int], sort: str, descending: bool,
                         page_no: int, per_page: int) -> tuple[list[CadreRow], int]:
    """The whole district's cadre table (a viewer who sees everything) from each township's part,
    kept as its rows are."""

    def compute(due):
        parts = cadre_parts(user, year, today, due)
        return {tid: parts.get(tid, {}) for tid in due or townships}

    parts = cached_by_township("dashboard-cadres", townships, (year, today), compute)
    # cadres and units belong to no township: a change of a name renews scope 0's counter
    names = cached_by_township("dashboard-cadre-names", [DISTRICT], (), lambda _due: {DISTRICT: cadre_names(user)})
    return merged_cadre_table(parts.values(), names[DISTRICT], sort, descending, page_no, per_page)


def page(user, year: int, today: date, township_id: int | None, sort: str, descending: bool, page_no: int,
         per_page: int) -> DashboardPage:
    """Every figure of one dashboard page: computed once per data version, then kept."""
    def compute() -> DashboardPage:
        choices = [TownshipChoice(*t) for t in township_choices(user)]
        district = sees_everything(user) and not township_id and choices
        ids = [t.id for t in choices]
        drill = township_rows(user, year, today, ids) if district else []
        figures = dashboard.overview(user, year, today, township_id, rows=drill or None)
        if district:
            cadres, total = district_cadre_table(user, year, today, ids, sort, descending, page_no, per_page)
        else:
            cadres, total = cadre_table(user, year, today, township_id, sort, descending, page_no, per_page)
        counts = flags.reason_counts(year, figures_township(user, township_id)) if user.role in FLAG_READERS else None
        return DashboardPage(figures, cadres, total, drill, choices, counts,
                             monitoring_block(user, year, today, township_id))

    return cached("dashboard", figures_township(user, township_id),
                  (viewer_scope(user), year, today, sort, descending, page_no, per_page), compute)
