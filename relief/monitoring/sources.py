"""The leads people bring: 基层干部排查 (a cadre marks 发现返贫风险 in a visit), 部门筛查预警 (a
department's list, matched by ID number) and 农户自主申报 (the public page). Each kept with its
evidence and routed to a queue (routing.py). Functions flush; the caller commits once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from relief import audit
from relief.extensions import db
from relief.ids import mask_id, mask_phone
from relief.models import (
    Department,
    Household,
    LeadSource,
    RiskLead,
    RiskType,
    Role,
    Township,
    Village,
    Visit,
)

from .errors import MonitoringError, NotAllowed
from .routing import (
    CHUNK,
    chunks,
    household_cadres,
    new_lead,
    open_cases,
    route,
    stationed_cadres,
)

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
    lead = new_lead(household_id=visit.household_id, township_id=visit.township_id, village_id=visit.village_id,
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
    for chunk in chunks([h.id for _p, h in found]):
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
        new_lead(household_id=h.id, township_id=h.township_id, village_id=h.village_id,
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
                new_lead(household_id=household_id, township_id=village.township_id, village_id=village.id,
                          source=LeadSource.SELF_REPORT, cause=difficulty.value, year=today.year, reported_on=today,
                          evidence={"text": text or "", "contact": "id_number" if id_number else "phone"},
                          reference=reference, reported_name=name, reported_contact=contact,
                          assignee_cadre_id=cadre_id, case_id=case_id)
                db.session.flush()
            return reference
        except IntegrityError:  # the reference was drawn before: draw another
            continue
    raise RuntimeError("no free reference number")
