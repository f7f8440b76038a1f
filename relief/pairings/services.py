"""Creating, ending and transferring pairings; the pairing norms (DESIGN.md rule 1).

Every path that creates pairings (pages, imports, API) goes through create_pairing, so the
norms hold everywhere. Functions flush; the caller commits once.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Role, StationRole, Village
from relief.scope import can_see

#: kinds paired with a village rather than a household
VILLAGE_KINDS = (PairingKind.LINK, PairingKind.STATIONED, PairingKind.TEAM)
#: kinds whose cadres live in the village: they carry a role and keep attendance
STATIONED_KINDS = (PairingKind.STATIONED, PairingKind.TEAM)
#: the role a stationed pairing gets when none is given (imports have no role column)
DEFAULT_ROLE = {PairingKind.STATIONED: StationRole.FIRST_SECRETARY, PairingKind.TEAM: StationRole.MEMBER}


class PairingError(ValueError):
    """A pairing that would break a rule; the message says what to fix."""


def active_household_pairings(cadre_id: int) -> list[Pairing]:
    return db.session.scalars(
        sa.select(Pairing).where(Pairing.cadre_id == cadre_id, Pairing.kind == PairingKind.HOUSEHOLD,
                                 Pairing.ended_on.is_(None)).order_by(Pairing.started_on)
    ).all()


def check_household_capacity(cadre: Cadre, adding: int = 1) -> None:
    """Refuse a cadre over N active households, naming the households they already hold."""
    limit = current_app.config["MAX_HOUSEHOLDS_PER_CADRE"]
    held = active_household_pairings(cadre.id)
    if len(held) + adding > limit:
        names = "、".join(f"{p.household.village.name}{p.household.head_name}" for p in held)
        raise PairingError(_("%(cadre)s已结对%(n)d户（%(names)s），每名干部最多结对%(limit)d户",
                             cadre=cadre.name, n=len(held), names=names, limit=limit))


def _check_writable(user, model, ident) -> None:
    """The acting user must be able to see the row; leaders write only inside their township."""
    if user is None:  # command line: the operator may do anything
        return
    if user.role not in (Role.ADMIN, Role.LEADER) or not can_see(model, ident, user):
        raise LookupError(ident)


def _check_role(kind: PairingKind, role: StationRole | None) -> StationRole | None:
    if kind in STATIONED_KINDS:
        return role or DEFAULT_ROLE[kind]
    if role is not None:
        raise PairingError(_("只有驻村、驻村工作队结对需要填写驻村身份"))
    return None


def create_pairing(user, *, kind: PairingKind, cadre: Cadre, started_on: date, household: Household | None = None,
                   village: Village | None = None, role: StationRole | None = None) -> Pairing:
    """Pair a cadre with a household (kind HOUSEHOLD) or a village (LINK, STATIONED, TEAM)."""
    if kind is PairingKind.HOUSEHOLD:
        if household is None:
            raise PairingError(_("户结对需要指定帮扶户"))
        _check_writable(user, Household, household.id)
        village = household.village
    else:
        if village is None:
            raise PairingError(_("挂钩、驻村需要指定村"))
        _check_writable(user, Village, village.id)
        household = None
    role = _check_role(kind, role)
    if not cadre.is_active:
        raise PairingError(_("%(cadre)s已停用，不能新建结对", cadre=cadre.name))
    if started_on > _today():
        raise PairingError(_("开始日期不能晚于今天"))
    if kind is PairingKind.HOUSEHOLD:
        if db.session.scalar(sa.select(Pairing.id).where(
                Pairing.household_id == household.id, Pairing.cadre_id == cadre.id, Pairing.ended_on.is_(None))):
            raise PairingError(_("%(cadre)s已与%(name)s结对", cadre=cadre.name, name=household.head_name))
        check_household_capacity(cadre)
    else:
        if db.session.scalar(sa.select(Pairing.id).where(
                Pairing.village_id == village.id, Pairing.cadre_id == cadre.id, Pairing.kind == kind,
                Pairing.ended_on.is_(None))):
            raise PairingError(_("%(cadre)s已在%(village)s有同类结对", cadre=cadre.name, village=village.name))
        if kind is PairingKind.STATIONED:
            holder = db.session.scalar(
                sa.select(Cadre.name).join(Pairing, Pairing.cadre_id == Cadre.id)
                .where(Pairing.village_id == village.id, Pairing.kind == PairingKind.STATIONED,
                       Pairing.ended_on.is_(None)))
            if holder:
                raise PairingError(_("%(village)s已有驻村干部%(cadre)s；请先结束或调整该结对",
                                     village=village.name, cadre=holder))
    pairing = Pairing(kind=kind, cadre_id=cadre.id, household_id=household.id if household else None,
                      village_id=village.id, township_id=village.township_id, role=role, started_on=started_on,
                      created_by_id=getattr(user, "id", None))
    db.session.add(pairing)
    db.session.flush()
    return pairing


def end_pairing(user, pairing: Pairing, ended_on: date, reason: str) -> None:
    """End a pairing; it stays in the history."""
    _check_writable(user, Pairing, pairing.id)
    if pairing.ended_on is not None:
        raise PairingError(_("该结对已于%(d)s结束", d=pairing.ended_on.isoformat()))
    if ended_on < pairing.started_on:
        raise PairingError(_("结束日期不能早于开始日期 %(d)s", d=pairing.started_on.isoformat()))
    if ended_on > _today():
        raise PairingError(_("结束日期不能晚于今天"))
    reason = (reason or "").strip()
    if not reason:
        raise PairingError(_("请填写结束原因"))
    if len(reason) > 200:
        raise PairingError(_("结束原因不能超过200字"))
    pairing.ended_on = ended_on
    pairing.end_reason = reason
    db.session.flush()


def transfer_pairing(user, pairing: Pairing, to: Cadre, on: date, reason: str) -> Pairing:
    """End a pairing and give the same household or village to another cadre, in one step.

    Raises before anything changes when the new cadre may not take it; the caller rolls back
    on any PairingError, so a refused transfer leaves the old pairing untouched.
    """
    if to.id == pairing.cadre_id:
        raise PairingError(_("请选择另一名干部"))
    if pairing.kind is PairingKind.HOUSEHOLD and pairing.ended_on is None:
        check_household_capacity(to)
    end_pairing(user, pairing, on, reason)
    return create_pairing(user, kind=pairing.kind, cadre=to, started_on=on, household=pairing.household,
                          village=pairing.village, role=pairing.role)


def _today() -> date:
    from relief.dates import today

    return today()
