"""A case, step by step: 入户核实 → 民主评议与公示 → 乡镇审核 → 区审定 → 纳入监测 or 不予纳入, then the
measures (帮扶措施) and 风险消除 (clearing.py). Each step leaves a StepRecord (who, when, what was
found) and is audited as a row change; deadlines are working days (relief.workdays).

Who holds a step: the home check and the notice, the case's cadre (the lead's queue; the leader
or admin may act for them or hand it to another cadre); 乡镇审核, the township's leader; 区审定 and
风险消除, the district admin. Functions take the acting user, check what the user may do, flush;
the caller commits once. Reading a case is scope.py's job (the views fetch through it).

Here: taking up a lead, handing a case to another cadre, 民主评议与公示, 乡镇审核, and adopting the
roster's 监测户. Beside it, and named here too (cases.record_home_check, cases.decide, ...):
case_steps.py (who may act; the pieces of every step), home_check.py (入户核实), decisions.py
(区审定 and the measures).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import (
    Household,
    HouseholdStatus,
    LeadStatus,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    RiskLead,
    Role,
    StepRecord,
    utcnow,
)
from relief.workdays import add_workdays

from . import leads as lead_rules
from .case_steps import (  # noqa: F401  (named here for callers: cases.may_act(...))
    advance,
    days,
    dismiss_case,
    expect,
    may_act,
    may_reassign,
    may_update_measure,
    reason_given,
    record_step,
    require,
)
from .decisions import Decision, MeasureIn, add_measure, decide, measure_done  # noqa: F401
from .errors import MonitoringError
from .home_check import HomeCheck, record_home_check  # noqa: F401

# -- taking up a lead ---------------------------------------------------------------------------

def take_up(lead: RiskLead, user, today: date) -> MonitorCase:
    """Accept a lead (受理): it joins the household's open case, or opens one at 入户核实 whose
    deadline is the lead's (counted from the day it was reported). A household cleared before is
    watched again: its new lead opens a new case; the old one stays on record."""
    require(lead_rules.may_handle(user, lead))
    if lead.status is not LeadStatus.OPEN:
        raise MonitoringError(_("这条线索已经受理或排除"))
    case = None
    if lead.household_id is not None:
        case = db.session.scalar(sa.select(MonitorCase).where(
            MonitorCase.household_id == lead.household_id, MonitorCase.step.in_(lead_rules.OPEN_STEPS)))
    if case is None:
        holder = lead.assignee_cadre_id or (user.cadre_id if user.role is Role.CADRE else None)
        name = lead.household.head_name if lead.household is not None else (lead.reported_name or "")
        case = MonitorCase(household_id=lead.household_id, township_id=lead.township_id, village_id=lead.village_id,
                           subject_name=name[:32], step=MonitorStep.VERIFYING, step_began_at=lead.reported_at,
                           step_due_on=lead.due_on, holder_cadre_id=holder, opened_on=today, risk_types=[])
        db.session.add(case)
        db.session.flush()
        earlier = db.session.scalar(sa.select(sa.func.max(MonitorCase.id)).where(
            MonitorCase.household_id == lead.household_id, MonitorCase.id != case.id,
            MonitorCase.step == MonitorStep.CLEARED)) if lead.household_id else None
        findings = {"lead_id": lead.id, **({"reopens_case": earlier} if earlier else {})}
        db.session.add(StepRecord(case=case, step=MonitorStep.REPORTED, outcome="opened", began_at=lead.reported_at,
                                  due_on=lead.due_on, done_at=utcnow(), done_on=today,
                                  user_id=getattr(user, "id", None), username=lead_rules.username(user),
                                  findings=findings))
    others = [lead]
    if lead.household_id is not None:
        others += db.session.scalars(sa.select(RiskLead).where(
            RiskLead.household_id == lead.household_id, RiskLead.status == LeadStatus.OPEN,
            RiskLead.id != lead.id)).all()
    for each in others:
        each.case, each.status = case, LeadStatus.TAKEN
    db.session.flush()
    return case


def reassign(case: MonitorCase, cadre_id, user, today: date) -> None:
    """Hand the case's step (home check, notice, the measures' follow-up) to another cadre."""
    require(may_reassign(user, case))
    case.holder_cadre_id = lead_rules.check_cadre(cadre_id, case.township_id).id
    record_step(case, "assigned", user, today, {"holder_cadre_id": case.holder_cadre_id})
    db.session.flush()


# -- 民主评议与公示 ----------------------------------------------------------------------------

@dataclass
class Notice:
    reviewed_on: date
    notice_from: date
    notice_to: date
    passed: bool
    note: str = ""


def record_notice(case: MonitorCase, notice: Notice, user, today: date) -> None:
    """The village's democratic review (民主评议) and the public notice (公示): passed, the case goes
    to 乡镇审核; not passed, it ends as 不予纳入 with the reason."""
    require(may_act(user, case))
    expect(case, MonitorStep.PUBLIC_NOTICE)
    checked = db.session.scalar(sa.select(sa.func.max(StepRecord.done_on)).where(
        StepRecord.case_id == case.id, StepRecord.step == MonitorStep.VERIFYING))
    problems = {}
    if checked and notice.reviewed_on < checked:
        problems["reviewed_on"] = _("评议日期不能早于入户核实日期 %(d)s", d=checked.isoformat())
    if notice.reviewed_on > today:
        problems["reviewed_on"] = _("评议日期不能晚于今天")
    if notice.notice_from < notice.reviewed_on:
        problems["notice_from"] = _("公示应在评议之后开始")
    if notice.notice_to < notice.notice_from:
        problems["notice_to"] = _("公示结束日期不能早于开始日期")
    elif notice.notice_to > today:
        problems["notice_to"] = _("公示结束后再登记（公示到 %(d)s）", d=notice.notice_to.isoformat())
    if not notice.passed and not (notice.note or "").strip():
        problems["note"] = _("评议或公示未通过的，请填写理由")
    if len(notice.note or "") > 1000:
        problems["note"] = _("说明最多 1000 字")
    if problems:
        raise MonitoringError(fields=problems)
    findings = {"reviewed_on": notice.reviewed_on.isoformat(), "notice_from": notice.notice_from.isoformat(),
                "notice_to": notice.notice_to.isoformat(), "notice_days": (notice.notice_to - notice.notice_from).days + 1}
    note = (notice.note or "").strip()
    if notice.passed:
        record_step(case, "passed", user, notice.notice_to, findings, note)
        advance(case, MonitorStep.TOWNSHIP_REVIEW, add_workdays(today, days("MONITOR_TOWNSHIP_REVIEW_DAYS")))
    else:
        record_step(case, "rejected", user, notice.notice_to, findings, note)
        dismiss_case(case, note, user)
    db.session.flush()


# -- 乡镇审核 --------------------------------------------------------------------------------

def township_review(case: MonitorCase, approve: bool, reason: str, user, today: date) -> None:
    """The township's review: approved, the case goes to the district (区审定)."""
    require(user.role in (Role.ADMIN, Role.LEADER))
    expect(case, MonitorStep.TOWNSHIP_REVIEW)
    note = (reason or "").strip()
    if approve:
        record_step(case, "passed", user, today, note=note)
        advance(case, MonitorStep.DISTRICT_REVIEW, add_workdays(today, days("MONITOR_DISTRICT_REVIEW_DAYS")))
    else:
        note = reason_given(note)
        record_step(case, "rejected", user, today, note=note)
        dismiss_case(case, note, user)
    db.session.flush()


# -- households already 监测户 before relief ran this ----------------------------------------------

def adopt_monitored(user, today: date, township_id: int | None = None) -> int:
    """Open a monitored case for every 监测户 on the roster that has none (imported as 监测户),
    so its measures and its 风险消除 can be kept here. The admin only."""
    require(user is None or user.role is Role.ADMIN)
    has_case = sa.select(MonitorCase.household_id).where(MonitorCase.household_id.is_not(None))
    stmt = sa.select(Household).where(Household.status == HouseholdStatus.MONITORED,
                                      Household.monitor_cleared_on.is_(None), Household.id.not_in(has_case))
    if township_id:
        stmt = stmt.where(Household.township_id == township_id)
    households = db.session.scalars(stmt.order_by(Household.id)).all()
    cadres = lead_rules.household_cadres([h.id for h in households])
    stationed = lead_rules.stationed_cadres({h.village_id for h in households})
    for h in households:
        case = MonitorCase(household=h, township_id=h.township_id, village_id=h.village_id, subject_name=h.head_name,
                           step=MonitorStep.MONITORED, step_began_at=utcnow(), step_due_on=None, opened_on=today,
                           holder_cadre_id=cadres.get(h.id) or stationed.get(h.village_id),
                           category=h.monitor_category or MonitorCategory.MARGINAL, risk_types=[],
                           included_on=h.monitor_identified_on or today)
        db.session.add(case)
        record_step(case, "adopted", user, today, {"identified_on": (h.monitor_identified_on or today).isoformat()})
    db.session.flush()
    return len(households)
