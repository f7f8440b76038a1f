"""A household's visit cadence (due / overdue) and a cadre's households with their last visit: the
home, the app's sync and the offline pack show the same."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.models import (
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Township,
    Village,
    Visit,
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
