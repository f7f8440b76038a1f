"""风险线索: where leads come from (a self-report, a visit, a department's list, relief's own rules),
whose queue each goes to, and dismissing or reassigning one.

One lead per household, source, cause and year: a lead dismissed with a reason keeps its row,
so the same cause does not come back that year. Each self-report is kept as sent. A lead of a
household with an open case joins that case at once; any other waits in the queue (`reported`)
until it is taken up (cases.take_up), which for a household cleared before opens a new case.
Functions flush; the caller commits once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from relief import audit
from relief.extensions import db
from relief.ids import mask_id, mask_phone
from relief.models import (
    AUTOMATIC_SOURCES,
    CHECKS,
    Cadre,
    Department,
    Household,
    HouseholdIncome,
    HouseholdStatus,
    LeadSource,
    LeadStatus,
    MonitorCase,
    MonitorStep,
    Pairing,
    PairingKind,
    RiskLead,
    RiskType,
    Role,
    Township,
    Village,
    Visit,
    utcnow,
)
from relief.workdays import add_workdays

from .errors import MonitoringError, NotAllowed
from .lines import line_for, line_yuan_sql

#: ids per IN (...) list
CHUNK = 1000
OPEN_STEPS = [s for s in MonitorStep if s.is_open]


def _chunks(ids: list) -> list[list]:
    ids = sorted({i for i in ids if i is not None})
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


def verify_due(reported_on: date) -> date:
    """The home check's deadline for a lead reported on that day."""
    return add_workdays(reported_on, current_app.config["MONITOR_VERIFY_DAYS"])


# -- whose queue ------------------------------------------------------------------------------

def household_cadres(household_ids) -> dict[int, int]:
    """Each household's actively paired cadre (the earliest paired when there are two)."""
    out: dict[int, int] = {}
    for chunk in _chunks(list(household_ids)):
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
    for chunk in _chunks(list(village_ids)):
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
    for chunk in _chunks(list(household_ids)):
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


def _new_lead(**values) -> RiskLead:
    case_id = values.get("case_id")
    lead = RiskLead(status=LeadStatus.TAKEN if case_id else LeadStatus.OPEN,
                    due_on=verify_due(values["reported_on"]), **values)
    db.session.add(lead)
    return lead


# -- automatic: relief's own rules ------------------------------------------------------------

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
    parts = [None] if household_ids is None else _chunks(list(household_ids))
    rows = [row for part in parts for row in _candidates(part)]
    if not rows:
        return result
    wanted = {(row.id, source, year): (row, evidence) for row in rows for source, year, evidence in _fired(row, drop, today)}
    result.households = len({hid for hid, _s, _y in wanted})
    existing = set()
    for chunk in _chunks([hid for hid, _s, _y in wanted]):
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


# -- 基层干部排查: a cadre marks 发现返贫风险 in a visit ---------------------------------------------

def lead_from_visit(visit: Visit, risk_type: RiskType, note: str, user) -> RiskLead:
    """The lead a visit raises (the visit's household; one per risk type and year). The visiting
    cadre's own queue gets it: the cadre is the one who goes back for the home check."""
    if visit.household_id is None:
        raise MonitoringError(fields={"risk": _("发现返贫风险只能在走访帮扶户时记录")})
    year = visit.visited_on.year
    existing = db.session.scalar(sa.select(RiskLead).where(
        RiskLead.household_id == visit.household_id, RiskLead.source == LeadSource.VISIT,
        RiskLead.cause == risk_type.value, RiskLead.year == year))
    if existing is not None:
        return existing
    _cadre, case_id = route(visit.household_id, visit.village_id)
    lead = _new_lead(household_id=visit.household_id, township_id=visit.township_id, village_id=visit.village_id,
                     source=LeadSource.VISIT, cause=risk_type.value, year=year, reported_on=visit.visited_on,
                     evidence={"note": (note or "").strip(), "visit_id": visit.id,
                               "visited_on": visit.visited_on.isoformat()},
                     assignee_cadre_id=visit.cadre_id, case_id=case_id, visit_id=visit.id,
                     created_by_id=getattr(user, "id", None))
    db.session.flush()
    return lead


# -- 部门筛查预警: a department's list --------------------------------------------------------------

@dataclass
class Listed:
    row: int
    id_number: str
    name: str
    note: str


@dataclass
class ListOutcome:
    created: int = 0
    #: people on the roster who already had this department's lead this year
    known: int = 0
    #: people not on relief's roster: (row, name, masked ID)
    not_on_roster: list[tuple[int, str, str]] = field(default_factory=list)


def department_leads(listed: list[Listed], department: Department, today: date, filename: str,
                     user=None) -> ListOutcome:
    """A `department` lead for each listed person who heads a household on relief's roster
    (matched by ID number); the others are counted and listed, not refused."""
    if user is not None and user.role is not Role.ADMIN:
        raise NotAllowed()
    outcome = ListOutcome()
    by_id: dict[str, tuple] = {}
    numbers = sorted({p.id_number for p in listed})
    for chunk in (numbers[i:i + CHUNK] for i in range(0, len(numbers), CHUNK)):
        for row in db.session.execute(sa.select(Household.id_number, Household.id, Household.township_id,
                                                Household.village_id, Household.head_name)
                                      .where(Household.id_number.in_(chunk))):
            by_id[row.id_number] = row
    found = [(p, by_id[p.id_number]) for p in listed if p.id_number in by_id]
    outcome.not_on_roster = [(p.row, p.name, mask_id(p.id_number)) for p in listed if p.id_number not in by_id]
    existing = set()
    for chunk in _chunks([h.id for _p, h in found]):
        existing.update(db.session.scalars(sa.select(RiskLead.household_id).where(
            RiskLead.household_id.in_(chunk), RiskLead.source == LeadSource.DEPARTMENT,
            RiskLead.cause == department.value, RiskLead.year == today.year)))
    fresh = []
    for person, h in found:
        if h.id in existing:
            outcome.known += 1
            continue
        existing.add(h.id)  # a person listed twice in one file
        fresh.append((person, h))
    cadres = household_cadres({h.id for _p, h in fresh})
    stationed = stationed_cadres({h.village_id for _p, h in fresh})
    cases = open_cases({h.id for _p, h in fresh})
    for person, h in fresh:
        evidence = {"department": department.value, "note": person.note, "file": filename[:120], "row": person.row}
        if person.name and person.name != h.head_name:
            evidence["listed_name"] = person.name
        _new_lead(household_id=h.id, township_id=h.township_id, village_id=h.village_id,
                  source=LeadSource.DEPARTMENT, cause=department.value, year=today.year, reported_on=today,
                  evidence=evidence, assignee_cadre_id=cadres.get(h.id) or stationed.get(h.village_id),
                  case_id=cases.get(h.id), created_by_id=getattr(user, "id", None))
        outcome.created += 1
    audit.log(db.session, "import", "risk_lead", None, user=user, note=f"risk-list {department.value} {filename}"[:300],
              changes={"rows": len(listed), "created": outcome.created, "known": outcome.known,
                       "not_on_roster": len(outcome.not_on_roster)})
    db.session.flush()
    return outcome


# -- 农户自主申报: the public page ---------------------------------------------------------------

_BY_ID_NUMBER = sa.select(Household.id).where(Household.id_number == sa.bindparam("id_number")).limit(1)
_BY_PHONE = (sa.select(Household.id).where(Household.village_id == sa.bindparam("vid"),
                                             Household.phone == sa.bindparam("phone")).limit(2))


def find_village(township: str, village: str) -> Village | None:
    """The village named (or numbered) in the township named (or numbered); None when they do not
    match. Township and village names are public: the page lists them."""
    def match(column_id, column_name, text: str):
        text = (text or "").strip()
        return column_id == int(text) if text.isdecimal() and len(text) <= 9 else column_name == text

    return db.session.scalar(sa.select(Village).join(Township, Township.id == Village.township_id).where(
        match(Township.id, Township.name, township), match(Village.id, Village.name, village)))


def reference_number(today: date) -> str:
    """A reference the sender can read out on the phone: the date and six random digits."""
    return f"{today:%Y%m%d}-{secrets.randbelow(10**6):06d}"


def self_report(*, name: str, village: Village, difficulty, text: str, phone: str | None,
                id_number: str | None, today: date) -> str:
    """Store a self-report and return its reference number.

    The work done and the answer are the same whether or not the person is on the roster: the
    same statements run with the same parameters' shapes (a lookup that finds nothing runs all
    the same), and the answer is the reference alone. The lead goes to the paired cadre's queue,
    else the village's stationed cadre's. Only the masked phone or ID number is kept.
    """
    by_id = db.session.scalar(_BY_ID_NUMBER, {"id_number": id_number})
    by_phone = db.session.scalars(_BY_PHONE, {"vid": village.id, "phone": phone}).all()
    household_id = by_id or (by_phone[0] if len(by_phone) == 1 else None)
    cadre_id, case_id = route(household_id, village.id)
    contact = mask_id(id_number) if id_number else mask_phone(phone)
    for _attempt in range(5):
        reference = reference_number(today)
        try:
            with db.session.begin_nested():
                _new_lead(household_id=household_id, township_id=village.township_id, village_id=village.id,
                          source=LeadSource.SELF_REPORT, cause=difficulty.value, year=today.year, reported_on=today,
                          evidence={"text": text or "", "contact": "id_number" if id_number else "phone"},
                          reference=reference, reported_name=name, reported_contact=contact,
                          assignee_cadre_id=cadre_id, case_id=case_id)
                db.session.flush()
            return reference
        except IntegrityError:  # the reference was drawn before: draw another
            continue
    raise RuntimeError("no free reference number")


# -- handling a lead --------------------------------------------------------------------------

def may_handle(user, lead: RiskLead) -> bool:
    """Who may take up a lead: its cadre or a cadre paired with the household, the leader, the admin."""
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role is Role.CADRE and user.cadre_id is not None and (
        lead.assignee_cadre_id == user.cadre_id or (lead.household_id is not None and user.cadre_id in
                                                   household_cadre_ids(lead.household_id)))


def household_cadre_ids(household_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Pairing.cadre_id).where(
        Pairing.household_id == household_id, Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))))


def dismiss(lead: RiskLead, reason: str, user, today: date) -> None:
    """Set a lead aside before any home check (a duplicate, a data error): the leader or the admin,
    with a reason. It stays on record, and the same cause does not come back this year."""
    if user.role not in (Role.ADMIN, Role.LEADER):
        raise NotAllowed()
    if lead.status is not LeadStatus.OPEN:
        raise MonitoringError(_("这条线索已经受理或排除，不能再排除"))
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError(fields={"reason": _("请填写排除的理由")})
    if len(reason) > 500:
        raise MonitoringError(fields={"reason": _("理由最多 500 字")})
    lead.status, lead.dismiss_reason = LeadStatus.DISMISSED, reason
    lead.dismissed_by_id, lead.dismissed_on = user.id, today
    db.session.flush()


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


def assign(lead: RiskLead, cadre_id, user) -> None:
    """Put a lead in another cadre's queue (the leader or the admin)."""
    if user.role not in (Role.ADMIN, Role.LEADER):
        raise NotAllowed()
    if lead.status is not LeadStatus.OPEN:
        raise MonitoringError(_("这条线索已经受理或排除"))
    lead.assignee_cadre_id = check_cadre(cadre_id, lead.township_id).id
    db.session.flush()


# -- what a lead says -------------------------------------------------------------------------

def cause_label(lead: RiskLead) -> str:
    """The lead's cause in words: the department, the risk type, the difficulty, or the rule."""
    from relief.models import Difficulty

    enum_cls = {LeadSource.DEPARTMENT: Department, LeadSource.VISIT: RiskType,
                LeadSource.SELF_REPORT: Difficulty}.get(lead.source)
    if enum_cls is None:
        return lead.source.label
    member = next((m for m in enum_cls if m.value == lead.cause), None)
    return member.label if member else lead.cause


def evidence_lines(lead: RiskLead) -> list[str]:
    """The evidence in sentences, in the reader's language."""
    from relief.models import CHECKS as checks

    e = lead.evidence or {}
    out = []
    if lead.source is LeadSource.INCOME_BELOW_LINE:
        out.append(_("%(year)s年人均纯收入 %(income)s 元，低于监测范围 %(line)s 元", year=e.get("year"),
                     income=f"{e.get('income_yuan', 0):,}", line=f"{e.get('line_yuan', 0):,}"))
        if e.get("line_year") and e.get("line_year") != e.get("year"):
            out.append(_("（%(year)s年未设定监测范围，沿用%(from_year)s年的）", year=e.get("year"),
                         from_year=e.get("line_year")))
    elif lead.source is LeadSource.INCOME_DROP:
        out.append(_("%(year)s年人均纯收入 %(income)s 元，比上一年的 %(previous)s 元下降 %(percent)s%%",
                     year=e.get("year"), income=f"{e.get('income_yuan', 0):,}",
                     previous=f"{e.get('previous_yuan', 0):,}", percent=e.get("drop_percent")))
    elif lead.source is LeadSource.GUARANTEE_FAILED:
        names = dict(checks)
        failed = "、".join(_(names[c]) for c in e.get("checks", []) if c in names)
        out.append(_("两不愁三保障核查为“否”：%(checks)s", checks=failed))
        if e.get("checked_on"):
            out.append(_("核查日期：%(d)s", d=e["checked_on"]))
    elif lead.source is LeadSource.DEPARTMENT:
        out.append(_("%(department)s提供的名单（%(file)s 第%(row)s行）", department=cause_label(lead),
                     file=e.get("file", ""), row=e.get("row", "")))
        if e.get("note"):
            out.append(_("说明：%(note)s", note=e["note"]))
        if e.get("listed_name"):
            out.append(_("名单上的姓名是“%(name)s”，与户主姓名不同", name=e["listed_name"]))
    elif lead.source is LeadSource.VISIT:
        out.append(_("%(d)s走访时发现：%(risk)s", d=e.get("visited_on", ""), risk=cause_label(lead)))
        if e.get("note"):
            out.append(e["note"])
    elif lead.source is LeadSource.SELF_REPORT:
        out.append(_("申报人：%(name)s，%(contact)s", name=lead.reported_name or "",
                     contact=lead.reported_contact or ""))
        out.append(_("困难：%(d)s", d=cause_label(lead)))
        if e.get("text"):
            out.append(e["text"])
        if lead.household_id is None:
            out.append(_("未能在帮扶户名册中找到此人，请入户核实后登记"))
    return out


def assignee_name(cadre_id: int | None) -> str | None:
    return db.session.scalar(sa.select(Cadre.name).where(Cadre.id == cadre_id)) if cadre_id else None


def username(user) -> str:
    return getattr(user, "username", None) or "cli"

