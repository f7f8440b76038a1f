"""Cadres: the list the user may see, with each cadre's active households, and one cadre's page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.models import Cadre, Pairing, PairingKind, Unit, Visit
from relief.scope import scoped

#: the latest visits a cadre's page shows
PAGE_VISITS = 20


def active_households():
    """Each cadre's number of active household pairings (cadre_id, n), as a subquery."""
    return (sa.select(Pairing.cadre_id, sa.func.count().label("n"))
            .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
            .group_by(Pairing.cadre_id).subquery())


def cadre_list(user, where: list) -> Select:
    """(cadre, active households) for the cadres the user may see that match the filters, by unit and name."""
    n = active_households()
    return (scoped(sa.select(Cadre, sa.func.coalesce(n.c.n, 0)), user, Cadre)
            .join(Unit, Unit.id == Cadre.unit_id)
            .outerjoin(n, n.c.cadre_id == Cadre.id)
            .options(joinedload(Cadre.unit)).where(*where)
            .order_by(Unit.name, Cadre.name, Cadre.id))


def cadre_with_unit(cadre_id: int) -> Cadre | None:
    """A signed-in cadre's own record, with the unit (the cadre's home)."""
    return db.session.scalar(sa.select(Cadre).options(joinedload(Cadre.unit)).where(Cadre.id == cadre_id))


@dataclass
class CadrePage:
    pairings: list[Pairing]
    visits_year: int
    recent: list[Visit]


def cadre_page(user, cadre: Cadre, year: int) -> CadrePage:
    """The cadre's pairings (active first), visits this year and latest visits, as far as the user may see."""
    pairings = db.session.scalars(
        scoped(sa.select(Pairing), user).where(Pairing.cadre_id == cadre.id)
        .options(joinedload(Pairing.household), joinedload(Pairing.village))
        .order_by(Pairing.ended_on.is_not(None), Pairing.started_on.desc())
    ).all()
    visits_year = db.session.scalar(
        scoped(sa.select(sa.func.count()).select_from(Visit), user, Visit)
        .where(Visit.cadre_id == cadre.id, Visit.visited_on >= date(year, 1, 1)))
    recent = db.session.scalars(
        scoped(sa.select(Visit), user).where(Visit.cadre_id == cadre.id)
        .options(joinedload(Visit.household), joinedload(Visit.village))
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(PAGE_VISITS)
    ).all()
    return CadrePage(pairings, visits_year, recent)
