"""入户核实: the case's cadre records the home check — the five 两不愁三保障 checks, members and
members able to work, optionally this year's income — which are written to the household (the
rules run on them); "at risk" goes on to 民主评议与公示, "no risk" ends the case as 不予纳入.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.ids import id_number_error, normalise, phone_error
from relief.models import (
    CHECKS,
    Household,
    HouseholdIncome,
    MonitorCase,
    MonitorStep,
    RiskLead,
)
from relief.workdays import add_workdays

from .case_steps import (
    advance,
    days,
    dismiss_case,
    expect,
    may_act,
    reason_given,
    record_step,
    require,
)
from .errors import MonitoringError
from .routing import OPEN_STEPS
from .rules import scan

CHECK_NAMES = tuple(name for name, _label in CHECKS)
MAX_MEMBERS = 20

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
    require(may_act(user, case))
    expect(case, MonitorStep.VERIFYING)
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
        record_step(case, "passed", user, hc.done_on, findings)
        advance(case, MonitorStep.PUBLIC_NOTICE, add_workdays(hc.done_on, days("MONITOR_NOTICE_DAYS")))
    else:
        reason = reason_given(hc.reason)
        record_step(case, "rejected", user, hc.done_on, findings, note=reason)
        dismiss_case(case, reason, user)
    db.session.flush()
    if household is not None:
        scan(today, [household.id], user=user)


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
            MonitorCase.household_id == found.id, MonitorCase.step.in_(OPEN_STEPS),
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
