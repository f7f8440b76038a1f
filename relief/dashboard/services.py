"""The dashboard's figures for one view of it, kept between requests while the data is unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from relief.cache import cached
from relief.extensions import db
from relief.models import Township
from relief.reports import dashboard
from relief.scope import scoped, sees_everything, viewer_scope


class TownshipChoice(NamedTuple):
    id: int
    name: str


@dataclass
class DashboardPage:
    figures: dashboard.Overview
    cadres: list[dashboard.CadreRow]
    total: int
    drill: list[dashboard.TownshipRow]
    townships: list[TownshipChoice]


def figures_township(user, township_id: int | None) -> int | None:
    """The township whose data a view of the figures reads (None: the whole district)."""
    return township_id or (None if sees_everything(user) else user.township_id)


def page(user, year: int, today: date, township_id: int | None, sort: str, descending: bool, page_no: int,
         per_page: int) -> DashboardPage:
    """Every figure of one dashboard page: computed once per data version, then kept."""
    def compute() -> DashboardPage:
        everything = sees_everything(user)
        drill = dashboard.township_rows(user, year, today) if everything and not township_id else []
        figures = dashboard.overview(user, year, today, township_id, rows=drill or None)
        cadres, total = dashboard.cadre_table(user, year, today, township_id, sort, descending, page_no, per_page)
        townships = db.session.execute(scoped(sa.select(Township.id, Township.name), user, Township)
                                       .order_by(Township.name)).all() if everything else []
        return DashboardPage(figures, cadres, total, drill, [TownshipChoice(*t) for t in townships])

    return cached("dashboard", figures_township(user, township_id),
                  (viewer_scope(user), year, today, sort, descending, page_no, per_page), compute)
