"""The dashboard's figures for one view of it, kept between requests while the data is unchanged."""
from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from flask import current_app

from relief.cache import (
    DISTRICT,
    Kept,
    beside_visits,
    cached,
    cached_beside_visits,
    cached_by_township,
    holiday_visits,
)
from relief.flags import services as flags
from relief.filters import township_choices
from relief.monitoring import figures as monitoring_figures
from relief.reports import dashboard
from relief.reports import townships as township_figures

from .cadres import CadreRow, MergedCadres, cadre_names, cadre_parts, cadre_table
from .cadres import visits_added as cadre_visits_added
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


def district_monitoring_block(user, year: int, today: date) -> MonitoringFigures:
    """monitoring_block of the whole district (a viewer who sees everything): leads, cases and
    households, none of them a visit, so it is kept while only visits are written."""
    return cached_beside_visits("dashboard-monitoring", (year, today), lambda: monitoring_block(user, year, today, None))


def figures_township(user, township_id: int | None) -> int | None:
    """The township whose data a view of the figures reads (None: the whole district)."""
    return township_id or own_township_id(user)


def township_rows(user, year: int, today: date, townships: list[int]) -> list[dashboard.TownshipRow]:
    """The rows of these townships (every one, for a viewer who sees everything), each kept while
    its township is unchanged: after a write, only the townships written to are computed again,
    and after a visit only their figures that read visits, or none: the visits added are taken
    into them (relief.cache.townships); the district's figures are their sums (dashboard.overview)."""
    # a visit added is taken into its township's kept figures; any other write counts them again
    visits = cached_by_township("dashboard-township-visits", townships, (year, today),
                                lambda due: dashboard.visit_figures(user, year, today, due),
                                added=lambda kept, new: township_figures.visits_added(year, today, kept, new))
    # holiday coverage reads pairings and 慰问 visits: kept while only other visits are written
    holidays = cached_by_township("dashboard-township-holidays", townships, (year, today),
                                  lambda due: dashboard.holiday_figures(user, year, today, due), counter=holiday_visits)
    # a township's demands, villages, projects and attendance: kept while only visits are written
    others = cached_by_township("dashboard-township-others", townships, (year, today),
                                lambda due: dashboard.other_figures(user, year, today, due), counter=beside_visits)
    return dashboard.joined_rows(visits, holidays, {tid: others[tid] for tid in townships})


def district_cadre_table(user, year: int, today: date, townships: list[int], sort: str, descending: bool,
                         page_no: int, per_page: int) -> tuple[list[CadreRow], int]:
    """The whole district's cadre table (a viewer who sees everything) from each township's part,
    kept as its rows are."""

    def compute(due):
        parts = cadre_parts(user, year, today, due)
        return {tid: parts.get(tid, {}) for tid in due or townships}

    parts = cached_by_township("dashboard-cadres", townships, (year, today), compute,
                               added=lambda kept, new: cadre_visits_added(year, today, kept, new))
    # cadres and units belong to no township: a change of a name renews scope 0's counter
    names = cached_by_township("dashboard-cadre-names", [DISTRICT], (), lambda _due: {DISTRICT: cadre_names(user)})
    return _merged_cadres(year, today).table(parts, names[DISTRICT], sort, descending, page_no, per_page)


def _merged_cadres(year: int, today: date) -> MergedCadres:
    """This process's merged district cadre table for the day (one per app: tests empty the tables)."""
    app = current_app._get_current_object()
    kept = app.extensions.setdefault("relief_merged_cadres", {})
    if (year, today) not in kept:
        if len(kept) > 4:
            kept.clear()
        kept[(year, today)] = MergedCadres()
    return kept[(year, today)]


_frozen = False


def _freeze_kept_figures() -> None:
    """Once per process, after the district's figures were first computed: the objects alive
    then (a province's parts and merged cadre rows: millions) are left out of the garbage
    collector's full collections (gc.freeze), which otherwise scan them all, 0.2-0.6 s each on
    a busy machine, in whichever read comes next. They are freed as usual once dropped."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def flag_counts(user, year: int, township_id: int | None) -> Kept | None:
    """For scope.FLAG_READERS: how many visits of the year have each flag reason (a Kept: with the
    time they were counted when they may be older than the data); None for others. Apart from
    page(): on a province they are kept across writes, the page's other figures are not."""
    if user.role not in FLAG_READERS:
        return None
    return flags.kept_reason_counts(year, figures_township(user, township_id))


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
        monitoring = district_monitoring_block(user, year, today) if district else \
            monitoring_block(user, year, today, township_id)
        if district:
            _freeze_kept_figures()
        return DashboardPage(figures, cadres, total, drill, choices, monitoring)

    scope = figures_township(user, township_id)
    # the district's page is renewed by every write anywhere: kept in the process (its parts are shared)
    return cached("dashboard", scope, (viewer_scope(user), year, today, sort, descending, page_no, per_page), compute,
                  shared=scope is not None)
