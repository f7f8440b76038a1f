"""风险消除: cleared only when every rule holds; each unmet rule is named with what is missing.

The rules (中农组发〔2021〕7号 as relief keeps them): monitored at least MONITOR_CLEAR_MONTHS
(6) months; the latest yearly per-capita income — of last year or this year — above that year's
line; at least one measure carried out; every 两不愁三保障 check secure; and a household with no
working-age member that lives on 综合保障/兜底 is never cleared (it stays monitored).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import (
    CHECKS,
    HouseholdIncome,
    HouseholdStatus,
    MeasureKind,
    MonitorCase,
    MonitorStep,
    Role,
)

from .case_steps import advance, record_step
from .errors import ClearRefused, MonitoringError, NotAllowed
from .lines import line_for


@dataclass(frozen=True)
class Problem:
    #: months, income, measure, guarantee, working_age, social_security
    rule: str
    message: str


def clear_after(case: MonitorCase) -> date | None:
    """The first day the case may be cleared by the months rule."""
    if case.included_on is None:
        return None
    return case.included_on + relativedelta(months=current_app.config["MONITOR_CLEAR_MONTHS"])


def problems(case: MonitorCase, today: date) -> list[Problem]:
    """Every unmet condition of 风险消除 for a monitored case; empty when it may be cleared."""
    if case.step is not MonitorStep.MONITORED:
        return [Problem("step", _("只有纳入监测的对象才能消除风险；这个案件处于“%(step)s”", step=case.step.label))]
    out = []
    months = current_app.config["MONITOR_CLEAR_MONTHS"]
    ready = clear_after(case)
    if ready > today:
        out.append(Problem("months", _("纳入监测未满 %(n)d 个月：%(since)s 纳入，%(ready)s 起才能消除风险",
                                       n=months, since=case.included_on.isoformat(), ready=ready.isoformat())))
    out.extend(_income(case, today))
    if not any(m.done_on is not None and m.done_on <= today for m in case.measures):
        out.append(Problem("measure", _("还没有已落实的帮扶措施：至少要有一项措施登记为落实")))
    h = case.household
    unmet = [(_(label), getattr(h, name)) for name, label in CHECKS if getattr(h, name) is not True]
    if unmet:
        said = "、".join(f"{label}（{_('否') if value is False else _('未核实')}）" for label, value in unmet)
        out.append(Problem("guarantee", _("两不愁三保障未全部保障：%(checks)s", checks=said)))
    if h.working_age_members is None:
        out.append(Problem("working_age", _("没有登记家庭劳动力人数：请在入户核实时填写")))
    elif h.working_age_members == 0 and any(m.kind is MeasureKind.SOCIAL_SECURITY for m in case.measures):
        out.append(Problem("social_security", _("家中没有劳动力、靠综合保障/兜底生活的户不能消除风险，应继续监测")))
    return out


def _income(case: MonitorCase, today: date) -> list[Problem]:
    latest = db.session.execute(
        sa.select(HouseholdIncome.year, HouseholdIncome.per_capita_yuan)
        .where(HouseholdIncome.household_id == case.household_id)
        .order_by(HouseholdIncome.year.desc()).limit(1)).first()
    if latest is None:
        return [Problem("income", _("没有登记人均纯收入，无法判断收入是否高于监测范围"))]
    if latest.year < today.year - 1:
        return [Problem("income", _("最近登记的人均纯收入是 %(year)d 年的：请先登记 %(last)d 年或 %(this)d 年的收入",
                                    year=latest.year, last=today.year - 1, this=today.year))]
    line = line_for(latest.year)
    if line.yuan is None:
        return [Problem("income", _("%(year)d 年及以前没有设定监测范围，无法判断收入", year=latest.year))]
    if latest.per_capita_yuan <= line.yuan:
        return [Problem("income", _("%(year)d 年人均纯收入 %(income)s 元，没有高于监测范围 %(line)s 元",
                                    year=latest.year, income=f"{latest.per_capita_yuan:,}", line=f"{line.yuan:,}"))]
    return []


def clear(case: MonitorCase, user, today: date, note: str = "") -> None:
    """风险消除 by the district admin, when every rule holds; else ClearRefused with the problems.
    The case and the household's record stay: a household lifted out before (脱贫不稳定户) is
    已脱贫 again; any other keeps its 监测户 record with the day its risk was cleared."""
    if user is not None and user.role is not Role.ADMIN:
        raise NotAllowed()
    found = problems(case, today)
    if found:
        raise ClearRefused(found)
    if len(note or "") > 1000:
        raise MonitoringError(fields={"note": _("说明最多 1000 字")})
    record_step(case, "cleared", user, today, {"rules": "all"}, note=(note or "").strip())
    advance(case, MonitorStep.CLEARED, None)
    case.cleared_on, case.cleared_by_id = today, getattr(user, "id", None)
    h = case.household
    h.monitor_cleared_on = today
    if h.lifted_year is not None:
        h.status = HouseholdStatus.LIFTED
    db.session.flush()
