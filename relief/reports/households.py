"""The figures every page, export and API shows, from aggregate queries in one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from relief.extensions import db
from relief.models import (
    Demand,
    DemandStatus,
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Township,
    Village,
    Visit,
)
from relief.scope import owned_by_cadre, scoped

from .dashboard import (
    DemandFigures,
    HouseholdFigures,
    VillageFigures,
    demand_figures,
    household_figures,
    village_figures,
)



def due_state(last_contact: date | None, today: date, due_days: int | None = None) -> str:
    """ok / due / overdue (DESIGN.md rule 2): due after D days without a visit, overdue after 2D."""
    d = due_days or current_app.config["VISIT_DUE_DAYS"]
    if last_contact is None:
        return "overdue"
    gap = (today - last_contact).days
    if gap > 2 * d:
        return "overdue"
    if gap > d:
        return "due"
    return "ok"


@dataclass
class PairedHousehold:
    id: int
    name: str
    village: str
    township: str
    village_id: int
    status: HouseholdStatus
    paired_on: date
    last_visit: date | None
    due: str

    @property
    def days_since(self) -> int | None:
        from relief.dates import today

        return (today() - self.last_visit).days if self.last_visit else None


def _my_households_statement():
    cadre = sa.bindparam("cadre_id")
    last = (sa.select(Visit.household_id, sa.func.max(Visit.visited_on).label("last"))
            .where(Visit.household_id.in_(
                sa.select(Pairing.household_id).where(Pairing.cadre_id == cadre, Pairing.ended_on.is_(None))))
            .group_by(Visit.household_id).subquery())
    return (sa.select(Household.id, Household.head_name, Village.name, Township.name, Village.id,
                      Household.status, Pairing.started_on, last.c.last)
            .join(Pairing, Pairing.household_id == Household.id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Household.township_id)
            .outerjoin(last, last.c.household_id == Household.id)
            .where(Pairing.cadre_id == cadre, Pairing.ended_on.is_(None), Pairing.kind == PairingKind.HOUSEHOLD)
            .order_by(last.c.last.asc().nulls_first(), Household.head_name))


# Built once: a cadre's home and the app's sync ask for it on every load.
_MY_HOUSEHOLDS = _my_households_statement()


def my_households(cadre_id: int, today: date) -> list[PairedHousehold]:
    """A cadre's actively paired households with their last visit, in one query."""
    due_days = current_app.config["VISIT_DUE_DAYS"]
    return [PairedHousehold(hid, name, vname, tname, vid, status, started, lastv,
                            due_state(lastv or started, today, due_days))
            for hid, name, vname, tname, vid, status, started, lastv
            in db.session.execute(_MY_HOUSEHOLDS, {"cadre_id": cadre_id})]


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
