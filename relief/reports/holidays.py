"""Holiday-visit coverage (DESIGN.md rule 3)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from relief.extensions import db
from relief.holidays import window
from relief.models import Pairing, PairingKind, Visit, VisitKind
from relief.scope import condition

_KINDS = {"spring_festival": VisitKind.SPRING_FESTIVAL, "mid_autumn": VisitKind.MID_AUTUMN}


@dataclass
class Coverage:
    key: int | None  # township, village or cadre id; None for the whole scope
    paired: int
    covered: int

    @property
    def rate(self) -> float:
        return self.covered / self.paired if self.paired else 0.0


def holiday_coverage(user, year: int, kind: str, by: str | None = None) -> list[Coverage]:
    """Households paired during the holiday window, and how many got a 慰问 visit inside it.

    kind: spring_festival | mid_autumn; by: None, "township", "village" or "cadre".
    A household counts once per group however many cadres or visits it has.
    """
    start, end = window(kind, year)
    paired = sa.and_(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.started_on <= end,
                     sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= start))
    scope = condition(Pairing, user)
    # the households with a 慰问 visit in the window, read once: a few weeks of one kind of visit,
    # only those of the scope's paired households when the scope is narrower than the district
    visited = sa.select(Visit.household_id.label("hid")).where(
        Visit.kind == _KINDS[kind], Visit.visited_on.between(start, end), Visit.household_id.is_not(None))
    if scope is not None:
        visited = visited.where(Visit.household_id.in_(sa.select(Pairing.household_id).where(paired, scope)))
    visited = visited.distinct().subquery("holiday_visited")
    key = {None: sa.literal(None), "township": Pairing.township_id, "village": Pairing.village_id,
           "cadre": Pairing.cadre_id}[by]
    stmt = (sa.select(key.label("key"), sa.func.count(sa.distinct(Pairing.household_id)),
                      sa.func.count(sa.distinct(visited.c.hid)))
            .outerjoin(visited, visited.c.hid == Pairing.household_id)
            .where(paired))
    if scope is not None:
        stmt = stmt.where(scope)
    if by:
        stmt = stmt.group_by(key)
    return [Coverage(k, paired, covered) for k, paired, covered in db.session.execute(stmt)]
