"""The home's figures: a cadre's villages and open demands, and the headline figures of a leader's
or the district's home (the dashboard's own functions, relief.reports.dashboard, so the two pages
always agree)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from relief.extensions import db
from relief.models import Demand, DemandStatus, Pairing, PairingKind, Township, Village
from relief.reports.dashboard import (
    DemandFigures,
    HouseholdFigures,
    VillageFigures,
    demand_figures,
    household_figures,
    village_figures,
)
from relief.scope import owned_by_cadre, scoped


def my_villages(cadre_id: int):
    """A cadre's villages through link or stationed pairings, with the pairing kind (townships loaded)."""
    return db.session.execute(
        sa.select(Village, Pairing.kind, Pairing.role)
        .join(Pairing, Pairing.village_id == Village.id)
        .join(Township, Township.id == Village.township_id)
        .options(contains_eager(Village.township))
        .where(Pairing.cadre_id == cadre_id, Pairing.ended_on.is_(None), Pairing.kind != PairingKind.HOUSEHOLD)
        .order_by(Village.name)
    ).all()


def _open_demands(user):
    stmt = scoped(sa.select(Demand).where(Demand.status.in_(DemandStatus.open_statuses())), user, Demand)
    own = owned_by_cadre(user)
    return stmt if own is None else stmt.where(own)


def open_demands(user, limit: int | None = None):
    """Open demands the user may see (a cadre: those they own), overdue (earliest deadline) first."""
    stmt = _open_demands(user).order_by(Demand.deadline, Demand.id)
    if limit:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt).all()


def open_demand_count(user) -> int:
    """How many open_demands there are, however many a page lists (the demand list's `open` total)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(_open_demands(user).subquery()))


@dataclass
class Summary:
    """The headline figures of a leader's or the district's home: the dashboard's own (the same
    functions, so the two pages always agree), for today's year."""

    households: HouseholdFigures
    demands: DemandFigures
    villages: VillageFigures


def summary(user, today: date) -> Summary:
    """Headline figures for a leader's or admin's home, each from one aggregate query."""
    [households] = household_figures(user, today)
    [demands] = demand_figures(user, today.year, today)
    [villages] = village_figures(user, today.year)
    return Summary(households, demands, villages)
