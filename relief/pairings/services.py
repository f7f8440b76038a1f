"""Creating, ending and transferring pairings one at a time.

The pairing norms live in relief.pairings.norms, which these functions and the pairings
import (relief.imports.pairings) both call, so the norms and their messages are the same on
every path. Functions flush; the caller commits once.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Role, StationRole, Village
from relief.scope import can_see

from . import norms


class PairingError(ValueError):
    """A pairing that would break a rule; the message says what to fix."""


def _check_writable(user, model, ident) -> None:
    """The acting user must be able to see the row; leaders write only inside their township."""
    if user is None:  # command line: the operator may do anything
        return
    if user.role not in (Role.ADMIN, Role.LEADER) or not can_see(model, ident, user):
        raise LookupError(ident)


def _proposal(kind: PairingKind, cadre: Cadre, household: Household | None, village: Village,
              role: StationRole | None) -> norms.Proposal:
    if kind is PairingKind.HOUSEHOLD:
        target_id, label = household.id, f"{village.name}{household.head_name}"
    else:
        target_id, label = village.id, village.name
    return norms.Proposal(kind=kind, cadre_id=cadre.id, cadre_name=cadre.name, cadre_active=cadre.is_active,
                          target_id=target_id, target_label=label, village_id=village.id, role=role)


def _refuse_broken_norms(proposal: norms.Proposal, replacing: Pairing | None = None) -> None:
    """Raise PairingError with the first norm the proposal breaks; `replacing`, a pairing that ends
    as this one starts (a transfer), does not count."""
    holdings = norms.load_holdings([proposal.cadre_id], [proposal.village_id])
    if replacing is not None and replacing.kind is PairingKind.STATIONED:
        holdings.stationed.pop(replacing.village_id, None)
    problems = norms.check(proposal, holdings, current_app.config["MAX_HOUSEHOLDS_PER_CADRE"])
    if problems:
        raise PairingError(problems[0].message)


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
    if started_on > _today():
        raise PairingError(_("开始日期不能晚于今天"))
    _refuse_broken_norms(_proposal(kind, cadre, household, village, role))
    pairing = Pairing(kind=kind, cadre_id=cadre.id, household_id=household.id if household else None,
                      village_id=village.id, township_id=village.township_id, role=norms.role_for(kind, role),
                      started_on=started_on, created_by_id=getattr(user, "id", None))
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
    if pairing.ended_on is None:
        # checked before the old pairing ends, so a refused transfer changes nothing
        _refuse_broken_norms(_proposal(pairing.kind, to, pairing.household, pairing.village, pairing.role),
                             replacing=pairing)
    end_pairing(user, pairing, on, reason)
    return create_pairing(user, kind=pairing.kind, cadre=to, started_on=on, household=pairing.household,
                          village=pairing.village, role=pairing.role)


def _today() -> date:
    from relief.dates import today

    return today()
