"""Whose queue a lead goes to: the household's paired cadre, else the village's stationed cadre,
else nobody (the township leader assigns); the household's open case; the home check's deadline.
Shared by every source of leads (rules.py, sources.py) and by the case steps (cases.py).
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import (
    Cadre,
    LeadStatus,
    MonitorCase,
    MonitorStep,
    Pairing,
    PairingKind,
    RiskLead,
)
from relief.workdays import add_workdays

from .errors import MonitoringError

#: ids per IN (...) list
CHUNK = 1000
OPEN_STEPS = [s for s in MonitorStep if s.is_open]


def chunks(ids: list) -> list[list]:
    ids = sorted({i for i in ids if i is not None})
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def verify_due(reported_on: date) -> date:
    """The home check's deadline for a lead reported on that day."""
    return add_workdays(reported_on, current_app.config["MONITOR_VERIFY_DAYS"])


# -- whose queue ------------------------------------------------------------------------------

def household_cadres(household_ids) -> dict[int, int]:
    """Each household's actively paired cadre (the earliest paired when there are two)."""
    out: dict[int, int] = {}
    for chunk in chunks(list(household_ids)):
        rows = db.session.execute(
            sa.select(Pairing.household_id, Pairing.cadre_id)
            .where(Pairing.household_id.in_(chunk), Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
            .order_by(Pairing.household_id, Pairing.started_on, Pairing.id))
        for hid, cadre_id in rows:
            out.setdefault(hid, cadre_id)
    return out


def stationed_cadres(village_ids) -> dict[int, int]:
    """Each village's stationed cadre (驻村; the earliest stationed when there are several)."""
    out: dict[int, int] = {}
    for chunk in chunks(list(village_ids)):
        rows = db.session.execute(
            sa.select(Pairing.village_id, Pairing.cadre_id)
            .where(Pairing.village_id.in_(chunk), Pairing.kind == PairingKind.STATIONED, Pairing.ended_on.is_(None))
            .order_by(Pairing.village_id, Pairing.started_on, Pairing.id))
        for vid, cadre_id in rows:
            out.setdefault(vid, cadre_id)
    return out


def open_cases(household_ids) -> dict[int, int]:
    """The open case of each household that has one."""
    out: dict[int, int] = {}
    for chunk in chunks(list(household_ids)):
        out.update(db.session.execute(
            sa.select(MonitorCase.household_id, MonitorCase.id)
            .where(MonitorCase.household_id.in_(chunk), MonitorCase.step.in_(OPEN_STEPS))).all())
    return out


# One statement each, the same for a person on the roster and one who is not (self-reports).
_CADRE_FOR = (
    sa.select(Pairing.cadre_id)
    .where(sa.or_(sa.and_(Pairing.household_id == sa.bindparam("hid"), Pairing.kind == PairingKind.HOUSEHOLD),
                  sa.and_(Pairing.village_id == sa.bindparam("vid"), Pairing.kind == PairingKind.STATIONED)),
           Pairing.ended_on.is_(None))
    .order_by(sa.case((Pairing.kind == PairingKind.HOUSEHOLD, 0), else_=1), Pairing.started_on, Pairing.id).limit(1))
_OPEN_CASE_FOR = (sa.select(MonitorCase.id).where(MonitorCase.household_id == sa.bindparam("hid"),
                                                   MonitorCase.step.in_(OPEN_STEPS)).limit(1))


def route(household_id: int | None, village_id: int) -> tuple[int | None, int | None]:
    """(the cadre whose queue a lead goes to, the household's open case) in two fixed statements:
    the paired cadre, else the village's stationed cadre, else nobody (the township leader assigns)."""
    params = {"hid": household_id, "vid": village_id}
    return db.session.scalar(_CADRE_FOR, params), db.session.scalar(_OPEN_CASE_FOR, params)


def new_lead(**values) -> RiskLead:
    case_id = values.get("case_id")
    lead = RiskLead(status=LeadStatus.TAKEN if case_id else LeadStatus.OPEN,
                    due_on=verify_due(values["reported_on"]), **values)
    db.session.add(lead)
    return lead


def household_cadre_ids(household_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Pairing.cadre_id).where(
        Pairing.household_id == household_id, Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))))


def cadre_choices(township_id: int) -> list[Cadre]:
    """The cadres a lead or step of the township may go to: those with an active pairing there."""
    return db.session.scalars(
        sa.select(Cadre).where(Cadre.id.in_(sa.select(Pairing.cadre_id).where(
            Pairing.township_id == township_id, Pairing.ended_on.is_(None))), Cadre.is_active.is_(True))
        .order_by(Cadre.name, Cadre.id)).all()


def check_cadre(cadre_id, township_id: int, field_name: str = "cadre_id") -> Cadre:
    cadre = next((c for c in cadre_choices(township_id) if c.id == cadre_id), None)
    if cadre is None:
        raise MonitoringError(fields={field_name: _("请从列表中选择本乡镇在结对的干部")})
    return cadre


def assignee_name(cadre_id: int | None) -> str | None:
    return db.session.scalar(sa.select(Cadre.name).where(Cadre.id == cadre_id)) if cadre_id else None


def username(user) -> str:
    return getattr(user, "username", None) or "cli"
