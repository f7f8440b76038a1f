"""The monitoring figures other pages show — the dashboard, the cadre's home, the map, the household
page, the yearly export, the inspector's list — each one scoped query (GROUP BY for the counts),
so a number and the list behind it agree.

Definitions:
- a lead's step: its case's step, or `reported` (not yet taken up) / `dismissed` (set aside);
- overdue: a pending step (a lead not taken up, 入户核实, 民主评议与公示, 乡镇审核, 区审定) whose due date
  is before today;
- 监测对象: households in 监测户 status whose risk is not cleared (imported ones included);
- open cases: not 不予纳入 and not 风险消除 (monitored ones included);
- the queue behind each number: /monitoring/ with the same filters (`queue.py`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.ids import mask_id
from relief.models import (
    PENDING_STEPS,
    Cadre,
    Household,
    HouseholdStatus,
    LeadSource,
    LeadStatus,
    Measure,
    MeasureKind,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    RiskLead,
    RiskType,
    StepRecord,
    Township,
    Village,
)
from relief.scope import condition

from .lines import line_for

OPEN_STEPS = [s for s in MonitorStep if s.is_open]
CASE_PENDING = [s for s in PENDING_STEPS if s is not MonitorStep.REPORTED]


def _scoped(stmt, model, user, township_id=None, township_column=None):
    clause = condition(model, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if township_id:
        stmt = stmt.where(township_column == township_id)
    return stmt


def lead_step():
    """The SQL expression of a lead's step (outer-joined to its case)."""
    return sa.case((MonitorCase.id.is_not(None), MonitorCase.step),
                   (RiskLead.status == LeadStatus.DISMISSED, sa.literal(MonitorStep.DISMISSED.value)),
                   else_=sa.literal(MonitorStep.REPORTED.value))


def leads_by_source_and_step(user, year: int, township_id: int | None = None) -> dict[tuple[str, str], int]:
    """{(source, step): leads} of the year (the year a lead is about)."""
    step = lead_step()
    stmt = (sa.select(RiskLead.source, step.label("step"), sa.func.count())
            .outerjoin(MonitorCase, MonitorCase.id == RiskLead.case_id)
            .where(RiskLead.year == year).group_by(RiskLead.source, step))
    stmt = _scoped(stmt, RiskLead, user, township_id, RiskLead.township_id)
    return {(str(getattr(source, "value", source)), str(getattr(s, "value", s))): n
            for source, s, n in db.session.execute(stmt)}


def overdue_steps(user, today: date, township_id: int | None = None) -> dict[str, int]:
    """{step: how many are past their due date}: leads not taken up, and cases' pending steps."""
    leads = _scoped(sa.select(sa.func.count()).select_from(RiskLead)
                    .where(RiskLead.status == LeadStatus.OPEN, RiskLead.due_on < today),
                    RiskLead, user, township_id, RiskLead.township_id)
    cases = _scoped(sa.select(MonitorCase.step, sa.func.count())
                    .where(MonitorCase.step.in_(CASE_PENDING), MonitorCase.step_due_on < today)
                    .group_by(MonitorCase.step), MonitorCase, user, township_id, MonitorCase.township_id)
    out = {MonitorStep.REPORTED.value: db.session.scalar(leads) or 0}
    out.update({s.value: n for s, n in db.session.execute(cases)})
    return {k: v for k, v in out.items() if v}


def monitored_by_category(user, township_id: int | None = None) -> dict[str, int]:
    """{category: 监测对象} — households in 监测户 status whose risk is not cleared."""
    stmt = (sa.select(Household.monitor_category, sa.func.count())
            .where(Household.status == HouseholdStatus.MONITORED, Household.monitor_cleared_on.is_(None))
            .group_by(Household.monitor_category))
    stmt = _scoped(stmt, Household, user, township_id, Household.township_id)
    return {c.value: n for c, n in db.session.execute(stmt) if c is not None}


def cleared_in_year(user, year: int, township_id: int | None = None) -> int:
    """Cases cleared (风险消除) in the year."""
    stmt = _scoped(sa.select(sa.func.count()).select_from(MonitorCase).where(
        MonitorCase.step == MonitorStep.CLEARED,
        MonitorCase.cleared_on.between(date(year, 1, 1), date(year, 12, 31))),
        MonitorCase, user, township_id, MonitorCase.township_id)
    return db.session.scalar(stmt) or 0


def open_cases_by_village(user, township_id: int | None = None) -> dict[int, dict[str, int]]:
    """{village_id: {"open": cases in progress or monitored, "pending": still being decided,
    "leads": leads not yet taken up}} for the map's colours."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "pending": 0, "leads": 0})
    cases = _scoped(sa.select(MonitorCase.village_id, MonitorCase.step, sa.func.count())
                    .where(MonitorCase.step.in_(OPEN_STEPS)).group_by(MonitorCase.village_id, MonitorCase.step),
                    MonitorCase, user, township_id, MonitorCase.township_id)
    for vid, step, n in db.session.execute(cases):
        out[vid]["open"] += n
        if step is not MonitorStep.MONITORED:
            out[vid]["pending"] += n
    leads = _scoped(sa.select(RiskLead.village_id, sa.func.count()).where(RiskLead.status == LeadStatus.OPEN)
                    .group_by(RiskLead.village_id), RiskLead, user, township_id, RiskLead.township_id)
    for vid, n in db.session.execute(leads):
        out[vid]["leads"] += n
    return dict(out)


# -- the cadre's home -------------------------------------------------------------------------

@dataclass
class Due:
    """Something a cadre must do, with its deadline."""

    kind: str  # lead, step, measure
    id: int
    name: str
    village: str
    what: str
    due_on: date | None
    url_args: dict = field(default_factory=dict)

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


def cadre_work(cadre_id: int, limit: int = 50) -> list[Due]:
    """A cadre's open leads, the steps the cadre holds, and the measures not yet carried out,
    earliest deadline first (for the cadre's home)."""
    leads = db.session.execute(
        sa.select(RiskLead.id, sa.func.coalesce(Household.head_name, RiskLead.reported_name), Village.name,
                  RiskLead.source, RiskLead.due_on)
        .join(Village, Village.id == RiskLead.village_id).outerjoin(Household, Household.id == RiskLead.household_id)
        .where(RiskLead.assignee_cadre_id == cadre_id, RiskLead.status == LeadStatus.OPEN)
        .order_by(RiskLead.due_on, RiskLead.id).limit(limit)).all()
    steps = db.session.execute(
        sa.select(MonitorCase.id, MonitorCase.subject_name, Village.name, MonitorCase.step, MonitorCase.step_due_on)
        .join(Village, Village.id == MonitorCase.village_id)
        .where(MonitorCase.holder_cadre_id == cadre_id,
               MonitorCase.step.in_((MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE)))
        .order_by(MonitorCase.step_due_on, MonitorCase.id).limit(limit)).all()
    measures = db.session.execute(
        sa.select(Measure.id, Measure.case_id, MonitorCase.subject_name, Village.name, Measure.kind, Measure.started_on)
        .join(MonitorCase, MonitorCase.id == Measure.case_id).join(Village, Village.id == MonitorCase.village_id)
        .where(Measure.cadre_id == cadre_id, Measure.done_on.is_(None), MonitorCase.step == MonitorStep.MONITORED)
        .order_by(Measure.started_on, Measure.id).limit(limit)).all()
    out = [Due("lead", i, name or "", village, source.label, due, {"lead_id": i}) for i, name, village, source, due in leads]
    out += [Due("step", i, name, village, step.label, due, {"case_id": i}) for i, name, village, step, due in steps]
    out += [Due("measure", i, name, village, kind.label, None, {"case_id": case_id})
            for i, case_id, name, village, kind, _started in measures]
    return sorted(out, key=lambda d: (d.due_on is None, d.due_on or date.max, d.kind, d.id))[:limit]


def cadre_counts(cadre_id: int, today: date) -> dict[str, int]:
    """{"leads", "steps", "overdue", "measures"}: the numbers on the cadre's home."""
    leads = db.session.execute(sa.select(sa.func.count(), sa.func.count().filter(RiskLead.due_on < today)).where(
        RiskLead.assignee_cadre_id == cadre_id, RiskLead.status == LeadStatus.OPEN)).one()
    steps = db.session.execute(sa.select(sa.func.count(), sa.func.count().filter(MonitorCase.step_due_on < today))
                               .where(MonitorCase.holder_cadre_id == cadre_id,
                                      MonitorCase.step.in_((MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE)))).one()
    measures = db.session.scalar(sa.select(sa.func.count()).select_from(Measure)
                                 .join(MonitorCase, MonitorCase.id == Measure.case_id)
                                 .where(Measure.cadre_id == cadre_id, Measure.done_on.is_(None),
                                        MonitorCase.step == MonitorStep.MONITORED))
    return {"leads": leads[0], "steps": steps[0], "overdue": leads[1] + steps[1], "measures": measures or 0}


# -- the household page -------------------------------------------------------------------------

def household_history(user, household_id: int) -> list[MonitorCase]:
    """The household's cases, newest first, with their step records, measures and leads loaded
    (the case history on the household page); only what the user may see."""
    from sqlalchemy.orm import selectinload

    stmt = _scoped(sa.select(MonitorCase).where(MonitorCase.household_id == household_id), MonitorCase, user)
    stmt = stmt.options(selectinload(MonitorCase.records), selectinload(MonitorCase.measures).joinedload(Measure.cadre),
                        selectinload(MonitorCase.leads)).order_by(MonitorCase.id.desc())
    return db.session.scalars(stmt).all()


def household_open_leads(user, household_id: int) -> list[RiskLead]:
    """Leads of the household not yet taken up."""
    stmt = _scoped(sa.select(RiskLead).where(RiskLead.household_id == household_id,
                                             RiskLead.status == LeadStatus.OPEN), RiskLead, user)
    return db.session.scalars(stmt.order_by(RiskLead.id)).all()


# -- the yearly export's 监测对象 sheet ------------------------------------------------------------

MONITORED_SHEET_HEADERS = ("乡镇", "村", "户主姓名", "身份证号", "家庭人口", "劳动力人数", "监测类别", "风险类型",
                           "纳入日期", "帮扶措施", "已落实措施", "帮扶责任人", "状态", "风险消除日期",
                           "人均纯收入(元)", "收入年度", "监测范围(元)")


def monitored_sheet_rows(user, year: int, township_id: int | None = None, full_ids: bool = False) -> list[list]:
    """The rows of the yearly `监测对象` sheet: every case monitored at some time in the year (included
    by its end and not cleared before it), in the headers' order; ID numbers masked unless full_ids."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    stmt = (sa.select(MonitorCase, Household, Township.name, Village.name, Cadre.name)
            .join(Household, Household.id == MonitorCase.household_id)
            .join(Township, Township.id == MonitorCase.township_id).join(Village, Village.id == MonitorCase.village_id)
            .outerjoin(Cadre, Cadre.id == MonitorCase.holder_cadre_id)
            .where(MonitorCase.step.in_((MonitorStep.MONITORED, MonitorStep.CLEARED)),
                   MonitorCase.included_on <= end,
                   sa.or_(MonitorCase.cleared_on.is_(None), MonitorCase.cleared_on >= start))
            .order_by(Township.name, Village.name, Household.head_name, MonitorCase.id))
    stmt = _scoped(stmt, MonitorCase, user, township_id, MonitorCase.township_id)
    rows = db.session.execute(stmt).all()
    case_ids = [r[0].id for r in rows]
    measures: dict[int, list] = defaultdict(list)
    incomes: dict[int, tuple[int, int]] = {}
    for i in range(0, len(case_ids), 1000):
        for m in db.session.scalars(sa.select(Measure).where(Measure.case_id.in_(case_ids[i:i + 1000]))
                                    .order_by(Measure.id)):
            measures[m.case_id].append(m)
    from relief.models import HouseholdIncome

    household_ids = [r[1].id for r in rows]
    for i in range(0, len(household_ids), 1000):
        for hid, y, yuan in db.session.execute(
                sa.select(HouseholdIncome.household_id, HouseholdIncome.year, HouseholdIncome.per_capita_yuan)
                .where(HouseholdIncome.household_id.in_(household_ids[i:i + 1000]), HouseholdIncome.year <= year)
                .order_by(HouseholdIncome.household_id, HouseholdIncome.year)):
            incomes[hid] = (y, yuan)
    risks = {r.value: r.zh for r in RiskType}
    line_yuan = line_for(year).yuan
    out = []
    for case, h, township, village, holder in rows:
        ms = measures.get(case.id, [])
        income = incomes.get(h.id)
        cleared = case.cleared_on is not None and case.cleared_on <= end
        out.append([township, village, h.head_name, h.id_number if full_ids else mask_id(h.id_number), h.members,
                    h.working_age_members, case.category.zh if case.category else "",
                    "、".join(risks.get(r, r) for r in case.risk_types or []), case.included_on,
                    "；".join(f"{m.kind.zh}{('：' + m.description) if m.description else ''}" for m in ms),
                    sum(1 for m in ms if m.done_on is not None and m.done_on <= end), holder or "",
                    "风险已消除" if cleared else "监测中", case.cleared_on if cleared else None,
                    income[1] if income else None, income[0] if income else None, line_yuan])
    return out


# -- the inspector: steps done suspiciously fast or late --------------------------------------------

@dataclass
class OddStep:
    record: StepRecord
    case: MonitorCase
    #: "fast" (recorded within MONITOR_FAST_MINUTES of the step's start), "late" (after its due date),
    #: "backdated" (its date is before the step began)
    reasons: list[str]
    late_days: int = 0


def suspicious_steps(user, year: int, township_id: int | None = None) -> list[OddStep]:
    """Home checks and notices recorded within minutes of their step's start, steps done after
    their due date, and steps dated before they began: the inspector's list (it changes nothing)."""
    from relief.workdays import workdays_between

    fast = timedelta(minutes=current_app.config["MONITOR_FAST_MINUTES"])
    stmt = (sa.select(StepRecord, MonitorCase).join(MonitorCase, MonitorCase.id == StepRecord.case_id)
            .where(StepRecord.done_at >= datetime(year, 1, 1), StepRecord.done_at < datetime(year + 1, 1, 1),
                   StepRecord.step.in_(CASE_PENDING), StepRecord.outcome.in_(("passed", "rejected", "included")))
            .order_by(StepRecord.done_at.desc()))
    stmt = _scoped(stmt, MonitorCase, user, township_id, MonitorCase.township_id)
    out = []
    for record, case in db.session.execute(stmt):
        reasons, late = [], 0
        hands_on = record.step in (MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE)
        if hands_on and record.done_at - record.began_at < fast:
            reasons.append("fast")
        done = record.done_at.date()
        if record.due_on is not None and done > record.due_on:
            reasons.append("late")
            late = workdays_between(record.due_on, done)
        if record.done_on < record.began_at.date() - timedelta(days=1):
            reasons.append("backdated")
        if reasons:
            out.append(OddStep(record, case, reasons, late))
    return out


# -- words for the figures ----------------------------------------------------------------------

def labels() -> dict[str, dict[str, str]]:
    """The Chinese labels of sources, steps, categories and measure kinds, for pages and charts."""
    return {"source": {s.value: s.label for s in LeadSource}, "step": {s.value: s.label for s in MonitorStep},
            "category": {c.value: c.label for c in MonitorCategory},
            "measure": {k.value: k.label for k in MeasureKind}}


# -- the API's list of leads --------------------------------------------------------------------

def lead_rows(user, year: int) -> list[dict]:
    """GET /api/v1/monitoring/leads: the year's leads the user may see, in one query."""
    step = lead_step()
    due = sa.case((MonitorCase.id.is_not(None), MonitorCase.step_due_on),
                  (RiskLead.status == LeadStatus.OPEN, RiskLead.due_on), else_=sa.null())
    stmt = (sa.select(RiskLead.id, RiskLead.household_id, RiskLead.case_id, RiskLead.source, RiskLead.cause,
                      RiskLead.year, step.label("step"), due.label("due_on"), RiskLead.reported_on,
                      RiskLead.village_id, RiskLead.township_id)
            .outerjoin(MonitorCase, MonitorCase.id == RiskLead.case_id)
            .where(RiskLead.year == year).order_by(RiskLead.id))
    stmt = _scoped(stmt, RiskLead, user)
    return [dict(row._mapping) for row in db.session.execute(stmt)]
