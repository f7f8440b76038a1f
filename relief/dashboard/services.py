"""The dashboard's figures for one view of it, kept between requests while the data is unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from relief.cache import cached, cached_by_township
from relief.filters import township_choices
from relief.reports import dashboard

from .cadres import CadreRow, cadre_table
from relief.scope import own_township_id, sees_everything, viewer_scope


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


def figures_township(user, township_id: int | None) -> int | None:
    """The township whose data a view of the figures reads (None: the whole district)."""
    return township_id or own_township_id(user)


def township_rows(user, year: int, today: date) -> list[dashboard.TownshipRow]:
    """The rows of every township (a viewer who sees everything), each kept while its township is
    unchanged: after a write, only the townships written to are computed again, the district's
    figures are their sums (dashboard.overview)."""
    townships = [tid for tid, _name in township_choices(user)]
    rows = cached_by_township("dashboard-township", townships, (year, today),
                              lambda due: {r.id: r for r in dashboard.township_rows(user, year, today, due)})
    return [rows[tid] for tid in townships]


def page(user, year: int, today: date, township_id: int | None, sort: str, descending: bool, page_no: int,
         per_page: int) -> DashboardPage:
    """Every figure of one dashboard page: computed once per data version, then kept."""
    def compute() -> DashboardPage:
        everything = sees_everything(user)
        drill = township_rows(user, year, today) if everything and not township_id else []
        figures = dashboard.overview(user, year, today, township_id, rows=drill or None)
        cadres, total = cadre_table(user, year, today, township_id, sort, descending, page_no, per_page)
        return DashboardPage(figures, cadres, total, drill, [TownshipChoice(*t) for t in township_choices(user)])

    return cached("dashboard", figures_township(user, township_id),
                  (viewer_scope(user), year, today, sort, descending, page_no, per_page), compute)
