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


def create_pairing(user, *, kind: PairingKind, cadre: Cadre, started_on: date, household: Household | None = None,
                   village: Village | None = None, role: StationRole | None = None) -> Pairing:
    """Pair a cadre with a household (kind HOUSEHOLD) or a village (LINK, STATIONED, TEAM)."""
    if kind is PairingKind.HOUSEHOLD:
        if household is None:
            raise PairingError(_("户结对需要指定帮扶户"))
        _check_writable(user, Household, household.id)
        village = household.village
        if db.session.scalar(sa.select(Pairing.id).where(
                Pairing.household_id == household.id, Pairing.cadre_id == cadre.id, Pairing.ended_on.is_(None))):
            raise PairingError(_("%(cadre)s已与%(name)s结对", cadre=cadre.name, name=household.head_name))
        check_household_capacity(cadre)
    else:
        if village is None:
            raise PairingError(_("挂钩、驻村需要指定村"))
        _check_writable(user, Village, village.id)
        household = None
        if db.session.scalar(sa.select(Pairing.id).where(
                Pairing.village_id == village.id, Pairing.cadre_id == cadre.id, Pairing.kind == kind,
                Pairing.ended_on.is_(None))):
            raise PairingError(_("%(cadre)s已在%(village)s有同类结对", cadre=cadre.name, village=village.name))
    if started_on > _today():
        raise PairingError(_("开始日期不能晚于今天"))
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
    if not (reason or "").strip():
        raise PairingError(_("请填写结束原因"))
    pairing.ended_on = ended_on
    pairing.end_reason = reason.strip()
    db.session.flush()


def transfer_pairing(user, pairing: Pairing, to: Cadre, on: date, reason: str) -> Pairing:
    """End a pairing and give the same household or village to another cadre, in one step."""
    end_pairing(user, pairing, on, reason)
    return create_pairing(user, kind=pairing.kind, cadre=to, started_on=on, household=pairing.household,
                          village=pairing.village, role=pairing.role)


def _today() -> date:
    from relief.dates import today

    return today()
