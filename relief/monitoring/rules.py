"""The automatic leads: relief's own rules over its incomes and 两不愁三保障 checks, run daily
(`relief monitor-scan`) and after every change that can fire a rule. One lead per household, rule
and year: a lead dismissed keeps its row, so the same cause does not come back that year.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from relief import audit
from relief.extensions import db
from relief.models import (
    AUTOMATIC_SOURCES,
    CHECKS,
    Household,
    HouseholdIncome,
    HouseholdStatus,
    LeadSource,
    LeadStatus,
    RiskLead,
    utcnow,
)

from .lines import line_for, line_yuan_sql
from .routing import (
    CHUNK,
    chunks,
    household_cadres,
    open_cases,
    stationed_cadres,
    verify_due,
)


@dataclass
class ScanResult:
    #: new leads by source value
    created: dict[str, int] = field(default_factory=dict)
    #: households that meet at least one rule (new leads or not)
    households: int = 0
    #: the line of this year, for the message when there is none
    line_missing: bool = False

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _candidates(household_ids: list[int] | None) -> list:
    """Households (not 贫困: they are helped as poor households) that meet a rule, with the figures."""
    drop = current_app.config["MONITOR_INCOME_DROP_PERCENT"]
    latest = (sa.select(HouseholdIncome.household_id.label("hid"), sa.func.max(HouseholdIncome.year).label("year"))
              .group_by(HouseholdIncome.household_id))
    if household_ids is not None:
        latest = latest.where(HouseholdIncome.household_id.in_(household_ids))
    latest = latest.subquery()
    cur, prev = aliased(HouseholdIncome), aliased(HouseholdIncome)
    line = line_yuan_sql(latest.c.year)
    checks = [getattr(Household, name) for name, _label in CHECKS]
    failed = sa.or_(*[c == sa.false() for c in checks])
    below = cur.per_capita_yuan < line
    dropped = sa.and_(prev.per_capita_yuan > 0, cur.per_capita_yuan * 100 <= prev.per_capita_yuan * (100 - drop))
    stmt = (sa.select(Household.id, Household.township_id, Household.village_id, latest.c.year,
                      cur.per_capita_yuan.label("income"), prev.per_capita_yuan.label("previous"),
                      line.label("line"), Household.checks_on, *checks)
            .outerjoin(latest, latest.c.hid == Household.id)
            .outerjoin(cur, sa.and_(cur.household_id == Household.id, cur.year == latest.c.year))
            .outerjoin(prev, sa.and_(prev.household_id == Household.id, prev.year == latest.c.year - 1))
            .where(Household.status != HouseholdStatus.POOR, sa.or_(below, dropped, failed)))
    if household_ids is not None:
        stmt = stmt.where(Household.id.in_(household_ids))
    return db.session.execute(stmt).all()


def _fired(row, drop: int, today: date) -> list[tuple[LeadSource, int, dict]]:
    """The rules a candidate meets: (source, year, evidence)."""
    out = []
    if row.income is not None and row.line is not None and row.income < row.line:
        line = line_for(row.year)
        out.append((LeadSource.INCOME_BELOW_LINE, row.year,
                    {"year": row.year, "income_yuan": row.income, "line_yuan": row.line, "line_year": line.from_year}))
    if row.income is not None and row.previous and row.income * 100 <= row.previous * (100 - drop):
        percent = round((row.previous - row.income) * 100 / row.previous, 1)
        out.append((LeadSource.INCOME_DROP, row.year, {"year": row.year, "income_yuan": row.income,
                                                       "previous_yuan": row.previous, "drop_percent": percent}))
    failed = [name for name, _label in CHECKS if getattr(row, name) is False]
    if failed:
        year = (row.checks_on or today).year
        out.append((LeadSource.GUARANTEE_FAILED, year,
                    {"checks": failed, "checked_on": row.checks_on.isoformat() if row.checks_on else None}))
    return out


def scan(today: date, household_ids=None, user=None) -> ScanResult:
    """Run the automatic rules over every household (or those given) and add the leads they find.

    income_below_line: the latest yearly per-capita income is below the line of its year;
    income_drop: it is down MONITOR_INCOME_DROP_PERCENT or more from the year before (no lead
    without an income the year before); guarantee_failed: a 两不愁三保障 check is "no". Run daily
    (`relief monitor-scan`) and after every change that can fire a rule.
    """
    result = ScanResult(line_missing=line_for(today.year).yuan is None)
    drop = current_app.config["MONITOR_INCOME_DROP_PERCENT"]
    parts = [None] if household_ids is None else chunks(list(household_ids))
    rows = [row for part in parts for row in _candidates(part)]
    if not rows:
        return result
    wanted = {(row.id, source, year): (row, evidence) for row in rows for source, year, evidence in _fired(row, drop, today)}
    result.households = len({hid for hid, _s, _y in wanted})
    existing = set()
    for chunk in chunks([hid for hid, _s, _y in wanted]):
        existing.update((hid, LeadSource(source), year) for hid, source, year in db.session.execute(
            sa.select(RiskLead.household_id, RiskLead.source, RiskLead.year)
            .where(RiskLead.household_id.in_(chunk), RiskLead.source.in_(AUTOMATIC_SOURCES))))
    new = {key: value for key, value in wanted.items() if key not in existing}
    if not new:
        return result
    households = {hid for hid, _s, _y in new}
    cadres = household_cadres(households)
    stationed = stationed_cadres({row.village_id for row, _e in new.values()})
    cases = open_cases(households)
    now, due = utcnow(), verify_due(today)
    values = []
    for (hid, source, year), (row, evidence) in sorted(new.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        case_id = cases.get(hid)
        values.append({"household_id": hid, "township_id": row.township_id, "village_id": row.village_id,
                       "source": source, "cause": source.value, "year": year, "evidence": evidence,
                       "reported_on": today, "reported_at": now, "reference": None, "reported_name": None,
                       "reported_contact": None, "assignee_cadre_id": cadres.get(hid) or stationed.get(row.village_id),
                       "due_on": due, "status": LeadStatus.TAKEN if case_id else LeadStatus.OPEN,
                       "case_id": case_id, "dismiss_reason": None, "dismissed_by_id": None, "dismissed_on": None,
                       "visit_id": None, "created_by_id": None})
        result.created[source.value] = result.created.get(source.value, 0) + 1
    _insert_new(values)
    audit.log(db.session, "scan", "risk_lead", None, user=user,
              note=f"monitoring rules: {result.total} new leads for {len(households)} households",
              changes=dict(result.created))
    db.session.flush()
    return result


def _insert_new(values: list[dict]) -> None:
    """INSERT the leads, skipping any another scan stored meanwhile (the unique index decides)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for i in range(0, len(values), CHUNK):
        db.session.execute(insert(RiskLead).on_conflict_do_nothing(), values[i:i + CHUNK])
