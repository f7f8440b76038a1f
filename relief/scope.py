"""Who may see which rows. Every list and fetch of user-visible rows goes through here."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.fields import db_int
from relief.models import (
    Attendance,
    AuditEvent,
    Cadre,
    Callback,
    Demand,
    Household,
    IncomeTarget,
    Pairing,
    PairingKind,
    Project,
    ProjectUpdate,
    Role,
    Township,
    User,
    Village,
    VillageIncome,
    Visit,
)


def _my_households(user) -> Select:
    return (
        sa.select(Pairing.household_id)
        .where(Pairing.cadre_id == user.cadre_id, Pairing.ended_on.is_(None), Pairing.kind == PairingKind.HOUSEHOLD)
    )


def _my_villages(user) -> Select:
    return sa.select(Pairing.village_id).where(Pairing.cadre_id == user.cadre_id, Pairing.ended_on.is_(None))


def _in_township(column):
    return lambda user: column == user.township_id


# For each model: (leader rule, cadre rule); admin and inspector see everything.
_RULES = {
    Household: (_in_township(Household.township_id), lambda u: Household.id.in_(_my_households(u))),
    Village: (_in_township(Village.township_id), lambda u: Village.id.in_(_my_villages(u))),
    Township: (_in_township(Township.id),
               lambda u: Township.id.in_(sa.select(Village.township_id).where(Village.id.in_(_my_villages(u))))),
    Visit: (_in_township(Visit.township_id), lambda u: Visit.cadre_id == u.cadre_id),
    Demand: (_in_township(Demand.township_id),
             lambda u: sa.or_(Demand.owner_id == u.cadre_id, Demand.household_id.in_(_my_households(u)))),
    Project: (_in_township(Project.township_id),
              lambda u: sa.or_(Project.responsible_cadre_id == u.cadre_id, Project.village_id.in_(_my_villages(u)))),
    ProjectUpdate: (lambda u: ProjectUpdate.project_id.in_(sa.select(Project.id).where(Project.township_id == u.township_id)),
                    lambda u: ProjectUpdate.project_id.in_(
                        sa.select(Project.id).where(sa.or_(Project.responsible_cadre_id == u.cadre_id,
                                                           Project.village_id.in_(_my_villages(u)))))),
    Pairing: (_in_township(Pairing.township_id), lambda u: Pairing.cadre_id == u.cadre_id),
    Attendance: (lambda u: Attendance.pairing_id.in_(sa.select(Pairing.id).where(Pairing.township_id == u.township_id)),
                 lambda u: Attendance.pairing_id.in_(sa.select(Pairing.id).where(Pairing.cadre_id == u.cadre_id))),
    VillageIncome: (lambda u: VillageIncome.village_id.in_(sa.select(Village.id).where(Village.township_id == u.township_id)),
                    lambda u: VillageIncome.village_id.in_(_my_villages(u))),
    IncomeTarget: (lambda u: sa.or_(IncomeTarget.village_id.is_(None), IncomeTarget.village_id.in_(
                        sa.select(Village.id).where(Village.township_id == u.township_id))),
                   lambda u: sa.or_(IncomeTarget.village_id.is_(None), IncomeTarget.village_id.in_(_my_villages(u)))),
    # A leader sees the cadres working in the township; a cadre sees only themself.
    Cadre: (lambda u: Cadre.id.in_(sa.select(Pairing.cadre_id).where(Pairing.township_id == u.township_id,
                                                                       Pairing.ended_on.is_(None))),
            lambda u: Cadre.id == u.cadre_id),
    Callback: (_in_township(Callback.township_id), lambda u: sa.false()),
    User: (lambda u: User.id == u.id, lambda u: User.id == u.id),
    AuditEvent: (lambda u: sa.false(), lambda u: sa.false()),
}


class BoundUser:
    """A user of one role whose ids are the bind parameters :user_id, :cadre_id and :township_id:
    a statement scoped for it is built once and then run for any user of that role with
    `bound(user)` as its parameters (hot paths, where building the select costs more than running it)."""

    is_authenticated = True
    id = sa.bindparam("user_id")
    cadre_id = sa.bindparam("cadre_id")
    township_id = sa.bindparam("township_id")

    def __init__(self, role: Role):
        self.role = role


def bound(user) -> dict:
    """The parameters that make a BoundUser statement about `user`."""
    return {"user_id": user.id, "cadre_id": user.cadre_id, "township_id": user.township_id}


def sees_everything(user) -> bool:
    return user.role in (Role.ADMIN, Role.INSPECTOR)


def viewer_scope(user) -> str:
    """Who sees the same rows: the whole district (admin, inspector), one leader's township, one cadre."""
    if sees_everything(user):
        return "district"
    if user.role is Role.LEADER:
        return f"township:{user.township_id}"
    return f"user:{user.id}"


def condition(model, user):
    """The WHERE clause limiting `model` to what `user` may see (None: no limit)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return sa.false()
    leader_rule, cadre_rule = _RULES[model]
    if user.role is Role.ADMIN or (user.role is Role.INSPECTOR and model is not User):
        return None
    if user.role is Role.LEADER:
        return leader_rule(user)
    if user.role is Role.CADRE:
        return cadre_rule(user)
    return _RULES[User][0](user) if model is User else sa.false()


def scoped(stmt: Select, user, model=None) -> Select:
    """Limit a select to the rows `user` may see; `model` defaults to the first entity."""
    model = model or stmt.column_descriptions[0]["entity"]
    clause = condition(model, user)
    return stmt if clause is None else stmt.where(clause)


def count_beyond(stmt: Select, user, visible: int, model=None) -> int:
    """How many rows of `stmt` (not yet scoped) lie outside what `user` may see, given that
    `visible` of them are inside.

    A deliberate exception, for one case: a list of one visible cadre's rows opened from the
    work record, whose figures count the cadre's work everywhere (ranks are the same whoever looks).
    The list shows only the rows the user may see and says how many others there are, as a
    number, never the rows; the record page shows that number already.
    """
    model = model or stmt.column_descriptions[0]["entity"]
    if condition(model, user) is None:
        return 0
    everywhere = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    return max(everywhere - visible, 0)


def get_scoped_or_404(model, ident, user, options=()):
    """Fetch one row the user may see; anything else, existing or not, is a 404."""
    try:
        ident = db_int(ident)
    except (TypeError, ValueError):
        abort(404)
    stmt = scoped(sa.select(model).where(model.id == ident), user, model)
    for opt in options:
        stmt = stmt.options(opt)
    row = db.session.scalar(stmt)
    if row is None:
        abort(404)
    return row


def can_see(model, ident, user) -> bool:
    stmt = scoped(sa.select(model.id).where(model.id == ident), user, model)
    return db.session.scalar(stmt) is not None


def township_of_request(value: str | None, user) -> Township | None:
    """The township a page is narrowed to: `value` is an id or a name, None for everything visible.

    A leader always gets the own township; a township the user may not see is a 404.
    """
    value = (value or "").strip()
    if not value:
        return user.township if user.role is Role.LEADER else None
    match = Township.id == int(value) if value.isdecimal() and len(value) <= 9 else Township.name == value
    township = db.session.scalar(scoped(sa.select(Township).where(match), user))
    if township is None:
        abort(404)
    return township
