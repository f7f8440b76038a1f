"""The dashboard's figures for one view of it, kept between requests while the data is unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from relief.cache import cached
from relief.flags import services as flags
from relief.filters import township_choices
from relief.reports import dashboard

from .cadres import CadreRow, cadre_table
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


def figures_township(user, township_id: int | None) -> int | None:
    """The township whose data a view of the figures reads (None: the whole district)."""
    return township_id or own_township_id(user)


def page(user, year: int, today: date, township_id: int | None, sort: str, descending: bool, page_no: int,
         per_page: int) -> DashboardPage:
    """Every figure of one dashboard page: computed once per data version, then kept."""
    def compute() -> DashboardPage:
        everything = sees_everything(user)
        drill = dashboard.township_rows(user, year, today) if everything and not township_id else []
        figures = dashboard.overview(user, year, today, township_id, rows=drill or None)
        cadres, total = cadre_table(user, year, today, township_id, sort, descending, page_no, per_page)
        counts = flags.reason_counts(year, figures_township(user, township_id)) if user.role in FLAG_READERS else None
        return DashboardPage(figures, cadres, total, drill, [TownshipChoice(*t) for t in township_choices(user)],
                             counts)

    return cached("dashboard", figures_township(user, township_id),
                  (viewer_scope(user), year, today, sort, descending, page_no, per_page), compute)
