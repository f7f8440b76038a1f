"""The pairing norms broken today (DESIGN.md rule 1), for the violations page, as aggregate queries.

households_without_cadre: poor or monitored households with no active household pairing.
village_norms:            weak villages (and villages with stationed cadres) whose linked leader,
                          stationed cadre or three-person team from the stationed cadre's unit is missing.

A new pairing is checked against the norms by relief.pairings.norms before it is made.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.models import Cadre, Household, HouseholdStatus, Pairing, PairingKind, Township, Village
from relief.scope import scoped

#: people in a stationed cadre's support team
TEAM_SIZE = 3


def households_without_cadre(user, township_id: int | None = None) -> Select:
    """Poor or monitored households the user may see that no cadre is actively paired with."""
    paired = sa.select(Pairing.household_id).where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None),
                                                   Pairing.household_id.is_not(None))
    stmt = (scoped(sa.select(Household), user)
            .join(Village, Village.id == Household.village_id)
            .where(Household.status.in_(HouseholdStatus.needing()), Household.id.not_in(paired)))
    if township_id:
        stmt = stmt.where(Household.township_id == township_id)
    return stmt.order_by(Household.township_id, Village.name, Household.head_name, Household.id)


@dataclass
class VillageNorm:
    id: int
    name: str
    township_id: int
    township: str
    is_weak: bool
    links: int
    stationed: int
    stationed_name: str | None
    team: int
    #: team members from a unit other than the stationed cadre's
    team_foreign: int
    #: distinct units among the team
    team_units: int

    @property
    def missing_link(self) -> bool:
        return self.is_weak and self.links == 0

    @property
    def missing_stationed(self) -> bool:
        return self.is_weak and self.stationed == 0

    @property
    def team_problem(self) -> bool:
        mixed = self.team_foreign > 0 or (self.stationed == 0 and self.team_units > 1)
        return self.team != TEAM_SIZE or mixed


def village_norms(user, township_id: int | None = None) -> list[VillageNorm]:
    """Villages breaking a village norm, one aggregate query: weak villages, and any village with a
    stationed cadre or team."""
    active = Pairing.ended_on.is_(None)
    link = (sa.select(Pairing.village_id, sa.func.count().label("n"))
            .where(Pairing.kind == PairingKind.LINK, active).group_by(Pairing.village_id).subquery())
    st = (sa.select(Pairing.village_id, sa.func.count().label("n"), sa.func.min(Cadre.unit_id).label("unit_id"),
                    sa.func.min(Cadre.name).label("name"))
          .join(Cadre, Cadre.id == Pairing.cadre_id)
          .where(Pairing.kind == PairingKind.STATIONED, active).group_by(Pairing.village_id).subquery())
    team = (sa.select(Pairing.village_id, sa.func.count().label("n"),
                      sa.func.count(sa.distinct(Cadre.unit_id)).label("units"),
                      sa.func.count().filter(Cadre.unit_id != st.c.unit_id).label("foreign"))
            .join(Cadre, Cadre.id == Pairing.cadre_id)
            .outerjoin(st, st.c.village_id == Pairing.village_id)
            .where(Pairing.kind == PairingKind.TEAM, active).group_by(Pairing.village_id).subquery())
    links, stationed = sa.func.coalesce(link.c.n, 0), sa.func.coalesce(st.c.n, 0)
    team_n, foreign, units = (sa.func.coalesce(team.c.n, 0), sa.func.coalesce(team.c.foreign, 0),
                              sa.func.coalesce(team.c.units, 0))
    broken = sa.or_(
        sa.and_(Village.is_weak, sa.or_(links == 0, stationed == 0)),
        team_n != TEAM_SIZE, foreign > 0, sa.and_(stationed == 0, units > 1))
    stmt = (scoped(sa.select(Village.id, Village.name, Village.township_id, Township.name, Village.is_weak, links, stationed, st.c.name,
                             team_n, foreign, units), user, Village)
            .join(Township, Township.id == Village.township_id)
            .outerjoin(link, link.c.village_id == Village.id)
            .outerjoin(st, st.c.village_id == Village.id)
            .outerjoin(team, team.c.village_id == Village.id)
            .where(sa.or_(Village.is_weak, st.c.n.is_not(None), team.c.n.is_not(None)), broken)
            .order_by(Township.name, Village.name))
    if township_id:
        stmt = stmt.where(Village.township_id == township_id)
    return [VillageNorm(*row) for row in db.session.execute(stmt)]
