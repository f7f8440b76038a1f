"""区审定 — 纳入监测 with a category, risk types and at least one 帮扶措施 (each with a responsible
cadre and a date), or 不予纳入 with a reason — and the measures of a monitored household.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import (
    Household,
    HouseholdIncome,
    HouseholdStatus,
    Measure,
    MeasureKind,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    PovertyCause,
    RiskType,
    Role,
    StepRecord,
    utcnow,
)

from .case_steps import (
    advance,
    dismiss_case,
    expect,
    may_act,
    may_update_measure,
    reason_given,
    record_step,
    require,
)
from .errors import MonitoringError
from .home_check import CHECK_NAMES
from .routing import check_cadre

#: the risk type that names a new household's cause of poverty (致贫原因) when one fits
_CAUSE_OF = {RiskType.ILLNESS: PovertyCause.ILLNESS, RiskType.DISABILITY: PovertyCause.DISABILITY,
             RiskType.SCHOOLING: PovertyCause.SCHOOLING, RiskType.DISASTER: PovertyCause.DISASTER,
             RiskType.NO_LABOUR: PovertyCause.NO_LABOUR}


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
        check_cadre(m.cadre_id, case.township_id)
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
    require(user.role is Role.ADMIN)
    expect(case, MonitorStep.DISTRICT_REVIEW)
    if not decision.include:
        reason = reason_given(decision.reason)
        record_step(case, "rejected", user, today, note=reason)
        dismiss_case(case, reason, user)
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
    record_step(case, "included", user, today, findings, note=(decision.reason or "").strip())
    advance(case, MonitorStep.MONITORED, None)
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
    require(may_act(user, case))
    expect(case, MonitorStep.MONITORED)
    if problems := _check_measure(case, m, today):
        raise MonitoringError(fields=problems)
    measure = _add_measure(case, m, user)
    db.session.flush()
    return measure


def measure_done(measure: Measure, done_on: date, user, today: date) -> None:
    """Record that a measure was carried out (落实)."""
    require(may_update_measure(user, measure))
    if measure.done_on is not None:
        raise MonitoringError(_("这项措施已登记为落实"))
    if done_on > today:
        raise MonitoringError(fields={"done_on": _("落实日期不能晚于今天")})
    if done_on < measure.started_on:
        raise MonitoringError(fields={"done_on": _("落实日期不能早于开始日期 %(d)s", d=measure.started_on.isoformat())})
    measure.done_on = done_on
    db.session.flush()
