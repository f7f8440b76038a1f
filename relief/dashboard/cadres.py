"""The dashboard's cadre table: each cadre with an active pairing in view, their households,
last visit, visits this year and overdue households, sortable, one page at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Unit, Visit
from relief.reports.dashboard import contacts, narrowed
from relief.scope import condition


@dataclass
class CadreRow:
    id: int
    name: str
    unit: str
    households: int
    last_visit: date | None
    visits_year: int
    overdue: int


#: the cadre table's sortable columns, as the `sort` query parameter names them
CADRE_SORTS = ("overdue", "households", "last_visit", "visits", "name")


def cadre_table(user, year: int, today: date, township_id=None, sort: str = "overdue", descending: bool = True,
                page: int = 1, per_page: int = 30) -> tuple[list[CadreRow], int]:
    """Cadres with an active pairing in scope: households, last visit, visits this year, overdue households."""
    paired_here = None
    if condition(Pairing, user) is not None or township_id:
        paired_here = narrowed(sa.select(Pairing.household_id).where(Pairing.kind == PairingKind.HOUSEHOLD,
                                                                   Pairing.ended_on.is_(None)),
                             Pairing, user, Pairing.township_id, township_id)
    c = contacts(today, paired_here)
    households = narrowed(
        sa.select(Pairing.cadre_id.label("cadre_id"), sa.func.count(sa.distinct(Pairing.household_id)).label("n"),
                  sa.func.count(sa.distinct(Pairing.household_id)).filter(c.overdue(Pairing.household_id))
                  .label("overdue"))
        .join(Household, Household.id == Pairing.household_id)
        .outerjoin(c.active, c.active.c.hid == Pairing.household_id)
        .outerjoin(c.recent, c.recent.c.hid == Pairing.household_id)
        .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None)).group_by(Pairing.cadre_id),
        Pairing, user, Pairing.township_id, township_id).subquery()
    visits = narrowed(
        sa.select(Visit.cadre_id.label("cadre_id"), sa.func.max(Visit.visited_on).label("last"),
                  sa.func.count().filter(Visit.visited_on.between(date(year, 1, 1), date(year, 12, 31))).label("n"))
        .group_by(Visit.cadre_id), Visit, user, Visit.township_id, township_id).subquery()
    active = sa.select(Pairing.cadre_id).where(Pairing.ended_on.is_(None))
    if township_id:
        active = active.where(Pairing.township_id == township_id)
    columns = {"households": sa.func.coalesce(households.c.n, 0), "last_visit": visits.c["last"],
               "visits": sa.func.coalesce(visits.c.n, 0), "overdue": sa.func.coalesce(households.c.overdue, 0),
               "name": Cadre.name}
    stmt = narrowed(sa.select(Cadre.id, Cadre.name, Unit.name, columns["households"], columns["last_visit"],
                            columns["visits"], columns["overdue"])
                  .join(Unit, Unit.id == Cadre.unit_id)
                  .outerjoin(households, households.c.cadre_id == Cadre.id)
                  .outerjoin(visits, visits.c.cadre_id == Cadre.id)
                  .where(Cadre.id.in_(active)), Cadre, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    key = columns[sort if sort in columns else "overdue"]
    order = key.desc().nulls_last() if descending else key.asc().nulls_first()
    rows = db.session.execute(stmt.order_by(order, Cadre.name, Cadre.id)
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [CadreRow(*row) for row in rows], total
