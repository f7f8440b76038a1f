"""Monitoring in the demo district: two years' lines, the rules' leads, and a few cases at each step."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    CHECKS,
    Household,
    HouseholdStatus,
    LeadStatus,
    MeasureKind,
    MonitorCategory,
    RiskLead,
    RiskType,
    User,
    Visit,
)

from . import cases, leads, lines

#: the demo's lines, by years before this one
LINES = {2: 6_600, 1: 6_900}


def seed(today: date, echo=print) -> None:
    """Run after the demo's rows and logins exist (users 1-4: admin, leader, inspector, cadre)."""
    admin, leader, cadre = (db.session.get(User, i) for i in (1, 2, 4))
    for back, yuan in LINES.items():
        lines.set_line(today.year - back, yuan, admin)
    adopted = cases.adopt_monitored(admin, today)
    found = leads.scan(today, user=admin)
    visit = db.session.scalar(
        sa.select(Visit).join(Household, Household.id == Visit.household_id)
        .where(Visit.cadre_id == cadre.cadre_id)
        .order_by(sa.case((Household.status == HouseholdStatus.MONITORED, 1), else_=0), Visit.visited_on.desc()))
    if visit is not None:
        leads.lead_from_visit(visit, RiskType.ILLNESS, "户主住院，自付医药费较多", cadre)
    township = leader.township_id
    open_leads = db.session.scalars(
        sa.select(RiskLead).where(RiskLead.township_id == township, RiskLead.status == LeadStatus.OPEN,
                                  RiskLead.household_id.is_not(None))
        .order_by(RiskLead.id).limit(50)).all()
    chosen = list({lead.household_id: lead for lead in reversed(open_leads)}.values())[-5:]
    for depth, lead in enumerate(reversed(chosen)):
        _advance(lead, depth, admin, leader, today)
    db.session.flush()
    echo(f"  monitoring: {found.total} leads, {adopted} monitored households on record")


def _advance(lead: RiskLead, depth: int, admin, leader, today: date) -> None:
    """Take the lead up and carry its case `depth` steps on (0: at 入户核实 ... 4: 纳入监测)."""
    if lead.status is not LeadStatus.OPEN:
        return
    case = cases.take_up(lead, admin, today)
    if depth < 1 or case.step.value != "verifying":
        return
    h = case.household
    checks = {name: getattr(h, name) is not False for name, _label in CHECKS}
    cases.record_home_check(case, cases.HomeCheck(
        done_on=today, checks=checks, members=h.members, working_age_members=min(1, h.members),
        notes="入户了解家庭收支和就医情况", at_risk=True), admin, today)
    if depth < 2:
        return
    cases.record_notice(case, cases.Notice(today, today, today, True), admin, today)
    if depth < 3:
        return
    cases.township_review(case, True, "", leader, today)
    if depth < 4:
        return
    cadre_id = case.holder_cadre_id or next(iter(c.id for c in leads.cadre_choices(case.township_id)), None)
    if cadre_id is None:
        return
    cases.decide(case, cases.Decision(include=True, category=MonitorCategory.MARGINAL, risk_types=[RiskType.EXPENSES],
                                      measures=[cases.MeasureIn(MeasureKind.EMPLOYMENT, cadre_id, today,
                                                                "介绍到村里的公益性岗位")]), admin, today)
