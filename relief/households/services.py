"""Households: the list the user may see, and one household's page with its whole history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief import reports
from relief.extensions import db
from relief.models import Demand, Household, Pairing, PairingKind, Village, Visit
from relief.scope import condition, count_beyond, household_history, scoped

#: the visits a household's page shows, newest first
PAGE_VISITS = 50


def household_list(user, where: list) -> Select:
    """The households the user may see that match the list's filters, by township, village, name."""
    return (scoped(sa.select(Household).where(*where), user)
            .options(joinedload(Household.village), joinedload(Household.township))
            .order_by(Household.township_id, Household.village_id, Household.head_name, Household.id))


def people(user, where: list) -> int:
    """The members of the households the list counts."""
    return db.session.scalar(scoped(sa.select(sa.func.coalesce(sa.func.sum(Household.members), 0))
                                    .where(*where), user, Household))


def beyond(user, where: list, visible: int) -> int:
    """How many of one cadre's households (the work record's figure) the user may not see."""
    return count_beyond(sa.select(Household).where(*where), user, visible)


def village_choices(user) -> list:
    """The villages of the user's households, for the list's filter."""
    return db.session.execute(
        scoped(sa.select(Village.id, Village.name), user, Village)
        .where(Village.id.in_(scoped(sa.select(Household.village_id), user, Household)))
        .order_by(Village.name)).all()


@dataclass
class HouseholdPage:
    pairings: list[Pairing]
    #: (visit, whether the user may open it), newest first
    visits: list[tuple[Visit, bool]]
    demands: list[Demand]
    #: ok / due / overdue while the household is paired (DESIGN.md rule 2)
    due: str | None


def household_page(user, household: Household, today: date) -> HouseholdPage:
    """The household's history for its page (scope.household_history), in three queries."""
    pairings = db.session.scalars(
        household_history(sa.select(Pairing), household.id, user)
        .options(joinedload(Pairing.cadre)).order_by(Pairing.started_on.desc())).all()
    openable = condition(Visit, user)
    visits = db.session.execute(
        household_history(sa.select(Visit, (sa.true() if openable is None else openable).label("openable")),
                          household.id, user, Visit)
        .options(joinedload(Visit.cadre)).order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(PAGE_VISITS)
    ).all()
    demands = db.session.scalars(
        household_history(sa.select(Demand), household.id, user).order_by(Demand.deadline.desc())).all()
    active = [p for p in pairings if p.ended_on is None and p.kind is PairingKind.HOUSEHOLD]
    last = visits[0][0].visited_on if visits else None
    started = min((p.started_on for p in active), default=None)
    due = reports.due_state(last or started, today) if active else None
    return HouseholdPage(pairings, [(v, bool(o)) for v, o in visits], demands, due)
