"""A case, step by step: 入户核实 → 民主评议与公示 → 乡镇审核 → 区审定 → 纳入监测 or 不予纳入, then the
measures (帮扶措施) and 风险消除 (clearing.py). Each step leaves a StepRecord (who, when, what was
found) and is audited as a row change; deadlines are working days (relief.workdays).

Who holds a step: the home check and the notice, the case's cadre (the lead's queue; the leader
or admin may act for them or hand it to another cadre); 乡镇审核, the township's leader; 区审定 and
风险消除, the district admin. Functions take the acting user, check what the user may do, flush;
the caller commits once. Reading a case is scope.py's job (the views fetch through it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.ids import id_number_error, normalise, phone_error
from relief.models import (
    CHECKS,
    Household,
    HouseholdIncome,
    HouseholdStatus,
    LeadStatus,
    Measure,
    MeasureKind,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    PovertyCause,
    RiskLead,
    RiskType,
    Role,
    StepRecord,
    utcnow,
)
from relief.workdays import add_workdays

from . import leads as lead_rules
from .errors import MonitoringError, NotAllowed

#: the risk type that names a new household's cause of poverty (致贫原因) when one fits
_CAUSE_OF = {RiskType.ILLNESS: PovertyCause.ILLNESS, RiskType.DISABILITY: PovertyCause.DISABILITY,
             RiskType.SCHOOLING: PovertyCause.SCHOOLING, RiskType.DISASTER: PovertyCause.DISASTER,
             RiskType.NO_LABOUR: PovertyCause.NO_LABOUR}
CHECK_NAMES = tuple(name for name, _label in CHECKS)
MAX_MEMBERS = 20


# -- who may do what ----------------------------------------------------------------------------

def may_act(user, case: MonitorCase) -> bool:
    """Whether `user` may carry out the case's current step (the case is in the user's scope)."""
    step = case.step
    if user.role is Role.ADMIN:
        return step.is_open
    if user.role is Role.LEADER:
        return step in (MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.TOWNSHIP_REVIEW,
                        MonitorStep.MONITORED)
    if user.role is Role.CADRE:
        return (step in (MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.MONITORED)
                and case.holder_cadre_id == user.cadre_id)
    return False


def may_reassign(user, case: MonitorCase) -> bool:
    return user.role in (Role.ADMIN, Role.LEADER) and case.step in (
        MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.MONITORED)


def may_update_measure(user, measure: Measure) -> bool:
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role is Role.CADRE and user.cadre_id in (measure.cadre_id, measure.case.holder_cadre_id)


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed()


def _expect(case: MonitorCase, *steps: MonitorStep) -> None:
    if case.step not in steps:
        raise MonitoringError(_("这一步已经办理过了：案件现在处于“%(step)s”", step=case.step.label))


def _record(case: MonitorCase, outcome: str, user, done_on: date, findings: dict | None = None,
            note: str | None = None) -> StepRecord:
    record = StepRecord(case=case, step=case.step, outcome=outcome, began_at=case.step_began_at,
                        due_on=case.step_due_on, done_at=utcnow(), done_on=done_on,
                        user_id=getattr(user, "id", None), username=lead_rules.username(user),
                        findings=findings or {}, note=note or None)
    db.session.add(record)
    return record


def _advance(case: MonitorCase, step: MonitorStep, due_on: date | None) -> None:
    case.step, case.step_due_on, case.step_began_at = step, due_on, utcnow()


def _dismiss(case: MonitorCase, reason: str, user) -> None:
    _advance(case, MonitorStep.DISMISSED, None)
    case.dismiss_reason = reason
    case.decided_by_id, case.decided_at = getattr(user, "id", None), utcnow()


def _reason(reason: str | None, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError(fields={field_name: _("请填写不予纳入的理由")})
    if len(reason) > 1000:
        raise MonitoringError(fields={field_name: _("理由最多 1000 字")})
    return reason


def _days(setting: str) -> int:
    return current_app.config[setting]


# -- taking up a lead ---------------------------------------------------------------------------

def take_up(lead: RiskLead, user, today: date) -> MonitorCase:
    """Accept a lead (受理): it joins the household's open case, or opens one at 入户核实 whose
    deadline is the lead's (counted from the day it was reported). A household cleared before is
    watched again: its new lead opens a new case; the old one stays on record."""
    _require(lead_rules.may_handle(user, lead))
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
    _require(may_reassign(user, case))
    case.holder_cadre_id = lead_rules.check_cadre(cadre_id, case.township_id).id
    _record(case, "assigned", user, today, {"holder_cadre_id": case.holder_cadre_id})
    db.session.flush()


# -- 入户核实 --------------------------------------------------------------------------------

@dataclass
class HomeCheck:
    done_on: date
    #: the five 两不愁三保障 checks by column name: True secure, False not
    checks: dict[str, bool]
    members: int
    working_age_members: int
    notes: str
    at_risk: bool
    reason: str = ""
    income_yuan: int | None = None
    income_year: int | None = None
    #: for a household not on the roster: its head's ID number and phone
    id_number: str | None = None
    phone: str | None = None


def _check_home_check(case: MonitorCase, hc: HomeCheck, today: date) -> dict[str, str]:
    problems = {}
    earliest = db.session.scalar(sa.select(sa.func.min(RiskLead.reported_on)).where(RiskLead.case_id == case.id))
    if hc.done_on > today:
        problems["done_on"] = _("核实日期不能晚于今天（%(d)s）", d=today.isoformat())
    elif earliest and hc.done_on < earliest:
        problems["done_on"] = _("核实日期不能早于线索报告日期 %(d)s", d=earliest.isoformat())
    missing = [label for name, label in CHECKS if name not in hc.checks]
    if missing:
        problems["checks"] = _("请逐项选择“是”或“否”：%(checks)s", checks="、".join(_(m) for m in missing))
    if not 1 <= hc.members <= MAX_MEMBERS:
        problems["members"] = _("家庭人口应为 1 到 %(n)d 之间的整数", n=MAX_MEMBERS)
    elif not 0 <= hc.working_age_members <= hc.members:
        problems["working_age_members"] = _("劳动力人数应为 0 到家庭人口数（%(n)d）之间的整数", n=hc.members)
    if hc.income_yuan is not None and not 0 <= hc.income_yuan <= current_app.config["IMPORT_MAX_PER_CAPITA_YUAN"]:
        problems["income_yuan"] = _("人均纯收入应为不小于 0 的整数（元）")
    if hc.income_yuan is not None and hc.income_year is not None and not 2000 <= hc.income_year <= today.year:
        problems["income_year"] = _("收入年度应为 2000 到 %(y)d 之间", y=today.year)
    if not (hc.notes or "").strip():
        problems["notes"] = _("请填写核实情况")
    elif len(hc.notes) > 2000:
        problems["notes"] = _("核实情况最多 2000 字")
    if not hc.at_risk and not (hc.reason or "").strip():
        problems["reason"] = _("经核实不纳入的，请填写理由")
    if case.household_id is None and hc.at_risk:
        number = normalise(hc.id_number or "")
        if not number:
            problems["id_number"] = _("这户不在帮扶户名册中：请填写户主身份证号，纳入监测时登记这一户")
        elif error := id_number_error(number, today):
            problems["id_number"] = error
        phone = normalise(hc.phone or "").replace("-", "")
        if phone and (error := phone_error(phone)):
            problems["phone"] = error
    return problems


def record_home_check(case: MonitorCase, hc: HomeCheck, user, today: date) -> None:
    """The cadre's home check: the five checks, the household's members and its working-age
    members (the clearing rule needs them), optionally this year's income; at risk, the case goes
    on to 民主评议与公示, otherwise it ends as 不予纳入 with the reason. What was found is written to
    the household (the checks with their date, the counts, the income) and the rules run on it."""
    _require(may_act(user, case))
    _expect(case, MonitorStep.VERIFYING)
    if problems := _check_home_check(case, hc, today):
        raise MonitoringError(fields=problems)
    if case.household_id is None and hc.at_risk:
        _identify(case, normalise(hc.id_number), normalise(hc.phone or "").replace("-", "") or None)
    findings = {**{name: hc.checks[name] for name in CHECK_NAMES}, "members": hc.members,
                "working_age_members": hc.working_age_members, "notes": hc.notes.strip()}
    if hc.income_yuan is not None:
        findings.update(income_yuan=hc.income_yuan, income_year=hc.income_year or hc.done_on.year)
    household = case.household
    if household is not None:
        _write_household(household, hc, findings)
    if hc.at_risk:
        _record(case, "passed", user, hc.done_on, findings)
        _advance(case, MonitorStep.PUBLIC_NOTICE, add_workdays(hc.done_on, _days("MONITOR_NOTICE_DAYS")))
    else:
        reason = _reason(hc.reason)
        _record(case, "rejected", user, hc.done_on, findings, note=reason)
        _dismiss(case, reason, user)
    db.session.flush()
    if household is not None:
        lead_rules.scan(today, [household.id], user=user)


def _identify(case: MonitorCase, id_number: str, phone: str | None) -> None:
    """Link a self-report's case to the household the ID number belongs to, or keep the number
    until the household is included and registered."""
    found = db.session.scalar(sa.select(Household).where(Household.id_number == id_number))
    if found is not None and found.village_id != case.village_id:
        raise MonitoringError(fields={"id_number": _(
            "这个身份证号已登记在%(place)s的帮扶户（户主%(name)s），不在本村；请与乡镇核对后再办理",
            place=found.village.full_name, name=found.head_name)})
    if found is not None:
        other = db.session.scalar(sa.select(MonitorCase.id).where(
            MonitorCase.household_id == found.id, MonitorCase.step.in_(lead_rules.OPEN_STEPS),
            MonitorCase.id != case.id))
        if other:
            raise MonitoringError(fields={"id_number": _(
                "这一户已有正在办理的监测案件（编号 %(id)d）：请在那个案件中办理，并把本案件按不予纳入结束，理由写“重复”",
                id=other)})
        case.household, case.subject_name = found, found.head_name
        for lead in case.leads:
            lead.household_id = found.id
        return
    case.subject_id_number, case.subject_phone = id_number, phone


def _write_household(household: Household, hc: HomeCheck, findings: dict) -> None:
    for name in CHECK_NAMES:
        setattr(household, name, hc.checks[name])
    household.checks_on = hc.done_on
    household.members, household.working_age_members = hc.members, hc.working_age_members
    if hc.income_yuan is not None:
        year = findings["income_year"]
        income = db.session.scalar(sa.select(HouseholdIncome).where(
            HouseholdIncome.household_id == household.id, HouseholdIncome.year == year))
        if income is None:
            db.session.add(HouseholdIncome(household_id=household.id, year=year, per_capita_yuan=hc.income_yuan))
        else:
            income.per_capita_yuan = hc.income_yuan


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
    _require(may_act(user, case))
    _expect(case, MonitorStep.PUBLIC_NOTICE)
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
        _record(case, "passed", user, notice.notice_to, findings, note)
        _advance(case, MonitorStep.TOWNSHIP_REVIEW, add_workdays(today, _days("MONITOR_TOWNSHIP_REVIEW_DAYS")))
    else:
        _record(case, "rejected", user, notice.notice_to, findings, note)
        _dismiss(case, note, user)
    db.session.flush()


# -- 乡镇审核 --------------------------------------------------------------------------------

def township_review(case: MonitorCase, approve: bool, reason: str, user, today: date) -> None:
    """The township's review: approved, the case goes to the district (区审定)."""
    _require(user.role in (Role.ADMIN, Role.LEADER))
    _expect(case, MonitorStep.TOWNSHIP_REVIEW)
    note = (reason or "").strip()
    if approve:
        _record(case, "passed", user, today, note=note)
        _advance(case, MonitorStep.DISTRICT_REVIEW, add_workdays(today, _days("MONITOR_DISTRICT_REVIEW_DAYS")))
    else:
        note = _reason(note)
        _record(case, "rejected", user, today, note=note)
        _dismiss(case, note, user)
    db.session.flush()


# -- 区审定: 纳入监测 or 不予纳入 ------------------------------------------------------------------

@dataclass
class MeasureIn:
    kind: MeasureKind
    cadre_id: int
    started_on: date
    description: str = ""


@dataclass
class Decision:
    include: bool
    category: MonitorCategory | None = None
    risk_types: list[RiskType] = field(default_factory=list)
    measures: list[MeasureIn] = field(default_factory=list)
    reason: str = ""


def _check_measure(case: MonitorCase, m: MeasureIn, today: date, prefix: str = "") -> dict[str, str]:
    problems = {}
    try:
        lead_rules.check_cadre(m.cadre_id, case.township_id)
    except MonitoringError as err:
        problems[prefix + "cadre_id"] = err.fields["cadre_id"]
    if len(m.description or "") > 200:
        problems[prefix + "description"] = _("措施内容最多 200 字")
    if not case.opened_on - timedelta(days=366) <= m.started_on <= today + timedelta(days=366):
        problems[prefix + "started_on"] = _("日期应在案件受理前后一年之内")
    return problems


def decide(case: MonitorCase, decision: Decision, user, today: date) -> None:
    """The district's decision (区审定). Included: the category, the risk types, and at least one
    measure, each with its responsible cadre and a date; the household becomes a 监测户 (a
    household not on the roster is registered now). Not included: the reason."""
    _require(user.role is Role.ADMIN)
    _expect(case, MonitorStep.DISTRICT_REVIEW)
    if not decision.include:
        reason = _reason(decision.reason)
        _record(case, "rejected", user, today, note=reason)
        _dismiss(case, reason, user)
        db.session.flush()
        return
    problems = {}
    if decision.category is None:
        problems["category"] = _("请选择监测对象类别")
    if not decision.risk_types:
        problems["risk_types"] = _("请至少选择一项风险类型")
    if not decision.measures:
        problems["measure_kind"] = _("纳入监测时至少要有一项帮扶措施，并指定责任干部和日期")
    for m in decision.measures:
        problems.update(_check_measure(case, m, today, "measure_"))
    if problems:
        raise MonitoringError(fields=problems)
    household = case.household or _register(case, decision)
    findings = {"category": decision.category.value, "risk_types": [r.value for r in decision.risk_types]}
    _record(case, "included", user, today, findings, note=(decision.reason or "").strip())
    _advance(case, MonitorStep.MONITORED, None)
    case.household = household
    case.category, case.risk_types = decision.category, [r.value for r in decision.risk_types]
    case.included_on, case.decided_by_id, case.decided_at = today, user.id, utcnow()
    household.status, household.monitor_category = HouseholdStatus.MONITORED, decision.category
    household.monitor_identified_on, household.monitor_cleared_on = today, None
    for m in decision.measures:
        _add_measure(case, m, user)
    db.session.flush()


def _register(case: MonitorCase, decision: Decision) -> Household:
    """Put the household of a self-report on the roster, from what the home check recorded."""
    number = case.subject_id_number
    if not number:
        raise MonitoringError(_("这户没有身份证号：请退回入户核实补录"))
    found = db.session.scalar(sa.select(Household).where(Household.id_number == number))
    if found is not None:
        if found.village_id != case.village_id:
            raise MonitoringError(_("这个身份证号已登记在其他村的帮扶户，请与乡镇核对"))
        for lead in case.leads:
            lead.household_id = found.id
        return found
    check = db.session.scalar(sa.select(StepRecord).where(
        StepRecord.case_id == case.id, StepRecord.step == MonitorStep.VERIFYING).order_by(StepRecord.id.desc()))
    seen = check.findings if check is not None else {}
    cause = next((_CAUSE_OF[r] for r in decision.risk_types if r in _CAUSE_OF), PovertyCause.OTHER)
    household = Household(township_id=case.township_id, village_id=case.village_id, head_name=case.subject_name,
                          id_number=number, phone=case.subject_phone, members=seen.get("members") or 1,
                          working_age_members=seen.get("working_age_members"), cause=cause,
                          status=HouseholdStatus.MONITORED, monitor_category=decision.category,
                          checks_on=check.done_on if check is not None else None,
                          **{name: seen.get(name) for name in CHECK_NAMES})
    db.session.add(household)
    db.session.flush()
    if seen.get("income_yuan") is not None:
        db.session.add(HouseholdIncome(household_id=household.id, year=seen["income_year"],
                                       per_capita_yuan=seen["income_yuan"]))
    for lead in case.leads:
        lead.household_id = household.id
    case.subject_id_number = case.subject_phone = None  # the household holds them now
    return household


# -- 帮扶措施 ---------------------------------------------------------------------------------

def _add_measure(case: MonitorCase, m: MeasureIn, user) -> Measure:
    measure = Measure(case=case, township_id=case.township_id, kind=m.kind, cadre_id=m.cadre_id,
                      started_on=m.started_on, description=(m.description or "").strip(),
                      created_by_id=getattr(user, "id", None))
    db.session.add(measure)
    return measure


def add_measure(case: MonitorCase, m: MeasureIn, user, today: date) -> Measure:
    """Another measure for a monitored household."""
    _require(may_act(user, case))
    _expect(case, MonitorStep.MONITORED)
    if problems := _check_measure(case, m, today):
        raise MonitoringError(fields=problems)
    measure = _add_measure(case, m, user)
    db.session.flush()
    return measure


def measure_done(measure: Measure, done_on: date, user, today: date) -> None:
    """Record that a measure was carried out (落实)."""
    _require(may_update_measure(user, measure))
    if measure.done_on is not None:
        raise MonitoringError(_("这项措施已登记为落实"))
    if done_on > today:
        raise MonitoringError(fields={"done_on": _("落实日期不能晚于今天")})
    if done_on < measure.started_on:
        raise MonitoringError(fields={"done_on": _("落实日期不能早于开始日期 %(d)s", d=measure.started_on.isoformat())})
    measure.done_on = done_on
    db.session.flush()


# -- households already 监测户 before relief ran this ----------------------------------------------

def adopt_monitored(user, today: date, township_id: int | None = None) -> int:
    """Open a monitored case for every 监测户 on the roster that has none (imported as 监测户),
    so its measures and its 风险消除 can be kept here. The admin only."""
    _require(user is None or user.role is Role.ADMIN)
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
        _record(case, "adopted", user, today, {"identified_on": (h.monitor_identified_on or today).isoformat()})
    db.session.flush()
    return len(households)
