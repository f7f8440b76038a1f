"""Weak villages' collective income against their target (DESIGN.md rule 6)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from relief.extensions import db
from relief.models import Cadre, Pairing, PairingKind, Project, ProjectStatus, Township, Village, VillageIncome
from relief.scope import bound, prepared_for, scoped
from relief.targets import progress_band, progress_ratio, target_expression



@dataclass(slots=True)
class VillageProgress:
    id: int
    name: str
    township: str
    township_id: int
    lat: float | None
    lng: float | None
    income_yuan: int
    target_yuan: int
    projects: int
    #: expected yearly income from running projects not yet realised
    pending_yuan: int
    leader: str | None
    stationed: str | None

    @property
    def progress(self) -> float:
        return progress_ratio(self.income_yuan, self.target_yuan)

    @property
    def projected_yuan(self) -> int:
        """Actual income plus what running projects are still expected to bring this year."""
        return self.income_yuan + self.pending_yuan

    @property
    def projected_progress(self) -> float:
        return self.projected_yuan / self.target_yuan if self.target_yuan else 1.0

    @property
    def band(self) -> str:
        return progress_band(self.progress)

    @property
    def reached(self) -> bool:
        return self.income_yuan >= self.target_yuan


def _cadre_name(kind: PairingKind):
    p, c = aliased(Pairing), aliased(Cadre)
    return (sa.select(sa.func.min(c.name)).select_from(p).join(c, c.id == p.cadre_id)
            .where(p.village_id == Village.id, p.kind == kind, p.ended_on.is_(None)).scalar_subquery())


def _progress_statement(user, by_township: bool, by_village: bool):
    """The progress query for `user` (a BoundUser, or None for no scope), with its parameters
    :year, :default_target, :only_township and :only_village."""
    year = sa.bindparam("year", type_=sa.Integer)
    income = (sa.select(VillageIncome.income_yuan)
              .where(VillageIncome.village_id == Village.id, VillageIncome.year == year).scalar_subquery())
    projects = (sa.select(sa.func.count()).select_from(Project)
                .where(Project.village_id == Village.id).scalar_subquery())
    pending = (sa.select(sa.func.coalesce(sa.func.sum(
                   sa.case((Project.expected_income_yuan > Project.actual_income_yuan,
                            Project.expected_income_yuan - Project.actual_income_yuan), else_=0)), 0))
               .where(Project.village_id == Village.id, Project.status.in_(ProjectStatus.under_way())).scalar_subquery())
    stmt = (sa.select(Village.id, Village.name, Township.name, Village.township_id, Village.lat, Village.lng,
                      sa.func.coalesce(income, 0),
                      target_expression(year, sa.bindparam("default_target", type_=sa.Integer)), projects, pending,
                      _cadre_name(PairingKind.LINK), _cadre_name(PairingKind.STATIONED))
            .join(Township, Township.id == Village.township_id)
            .where(Village.is_weak)
            .order_by(Township.name, Village.name))
    if user is not None:
        stmt = scoped(stmt, user, Village)
    if by_township:
        stmt = stmt.where(Village.township_id == sa.bindparam("only_township"))
    if by_village:
        stmt = stmt.where(Village.id == sa.bindparam("only_village"))
    return stmt


#: built once per (role, narrowed to a township, to a village): the map and the API ask often
_STATEMENTS: dict[tuple, sa.Select] = {}


def _statement(key: tuple, user):
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _progress_statement(user, key[1], key[2])
    return _STATEMENTS[key]


def village_progress(user, year: int, township_id: int | None = None,
                     village_id: int | None = None) -> list[VillageProgress]:
    """Every weak village the user may see, with income, target and projects, in one query."""
    return [VillageProgress(*row) for row in progress_rows(user, year, township_id, village_id)]


def progress_rows(user, year: int, township_id: int | None = None, village_id: int | None = None):
    """village_progress as plain rows, in VillageProgress's field order (for answers that list
    thousands of villages and need no objects)."""
    params = {"year": year, "default_target": current_app.config["DEFAULT_TARGET_YUAN"],
              "only_township": township_id, "only_village": village_id}
    shape = (bool(township_id), bool(village_id))
    prepared = prepared_for(user)
    if prepared is None:
        stmt = _progress_statement(user, *shape)
    else:
        key, bound_user = prepared
        stmt = _statement((key, *shape), bound_user)
        if bound_user is not None:
            params.update(bound(user))
    # plain rows from the session's connection: the ORM adds nothing to columns, and a province
    # has thousands of weak villages
    return db.session.connection().execute(stmt, params)
