"""The queue page's lists: leads and cases in the user's scope, filtered, overdue first.

The filters are those of the figures (figures.py), so a number on the dashboard links to its rows:
/monitoring/?show=leads&source=income_drop&year=2026, ?show=cases&step=township_review&overdue=1,
?show=monitored&category=sudden, ?show=closed&cleared=2026, &village=ID, &township=ID.
`mine=1` keeps what the user must act on: a cadre's own queue, a leader's reviews and unassigned
items of the township, the admin's decisions and unassigned items.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from relief.models import (
    LeadSource,
    LeadStatus,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    RiskLead,
    Role,
    Village,
)
from relief.scope import scoped

from .figures import CASE_PENDING

SHOWS = ("todo", "leads", "cases", "monitored", "closed")


@dataclass
class Filters:
    show: str = "todo"
    source: LeadSource | None = None
    step: MonitorStep | None = None
    category: MonitorCategory | None = None
    year: int | None = None
    cleared: int | None = None
    overdue: bool = False
    mine: bool = False
    village_id: int | None = None
    township_id: int | None = None

    def args(self, **changes) -> dict:
        """The query string of these filters (with changes), for links and pagers."""
        values = {"show": self.show, "source": self.source.value if self.source else None,
                  "step": self.step.value if self.step else None,
                  "category": self.category.value if self.category else None, "year": self.year,
                  "cleared": self.cleared, "overdue": 1 if self.overdue else None, "mine": 1 if self.mine else None,
                  "village": self.village_id, "township": self.township_id}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", False)}


def _enum(enum_cls, raw):
    return next((m for m in enum_cls if m.value == (raw or "").strip()), None)


def _int(raw, low: int, high: int) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) <= 10 and low <= int(raw) <= high else None


def parse(args) -> Filters:
    show = args.get("show") if args.get("show") in SHOWS else "todo"
    return Filters(show=show, source=_enum(LeadSource, args.get("source")), step=_enum(MonitorStep, args.get("step")),
                   category=_enum(MonitorCategory, args.get("category")), year=_int(args.get("year"), 2000, 2100),
                   cleared=_int(args.get("cleared"), 2000, 2100), overdue=args.get("overdue") == "1",
                   mine=args.get("mine") == "1", village_id=_int(args.get("village"), 1, 2**31 - 1),
                   township_id=_int(args.get("township"), 1, 2**31 - 1))


def _mine_leads(user):
    if user.role is Role.CADRE:
        return RiskLead.assignee_cadre_id == user.cadre_id
    if user.role in (Role.LEADER, Role.ADMIN):
        return RiskLead.assignee_cadre_id.is_(None)
    return sa.false()


def _mine_cases(user):
    hands_on = MonitorCase.step.in_((MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE))
    if user.role is Role.CADRE:  # and the monitored ones: their measures are the cadre's to carry out
        return sa.and_(MonitorCase.holder_cadre_id == user.cadre_id,
                       sa.or_(hands_on, MonitorCase.step == MonitorStep.MONITORED))
    review = MonitorStep.TOWNSHIP_REVIEW if user.role is Role.LEADER else MonitorStep.DISTRICT_REVIEW
    if user.role in (Role.LEADER, Role.ADMIN):
        return sa.or_(MonitorCase.step == review, sa.and_(hands_on, MonitorCase.holder_cadre_id.is_(None)))
    return sa.false()


def leads(user, f: Filters, today: date):
    """Leads not yet taken up (or, with year/source, all of them), earliest deadline first."""
    stmt = scoped(sa.select(RiskLead), user).options(
        joinedload(RiskLead.village), joinedload(RiskLead.household), joinedload(RiskLead.assignee),
        joinedload(RiskLead.case))
    if f.show in ("leads", "todo") and not (f.year or f.source or f.step):
        stmt = stmt.where(RiskLead.status == LeadStatus.OPEN)
    if f.step is MonitorStep.REPORTED:
        stmt = stmt.where(RiskLead.status == LeadStatus.OPEN)
    elif f.step is MonitorStep.DISMISSED:
        stmt = stmt.where(sa.or_(RiskLead.status == LeadStatus.DISMISSED,
                                 RiskLead.case_id.in_(sa.select(MonitorCase.id).where(
                                     MonitorCase.step == MonitorStep.DISMISSED))))
    elif f.step is not None:
        stmt = stmt.where(RiskLead.case_id.in_(sa.select(MonitorCase.id).where(MonitorCase.step == f.step)))
    if f.source:
        stmt = stmt.where(RiskLead.source == f.source)
    if f.year:
        stmt = stmt.where(RiskLead.year == f.year)
    if f.overdue:
        stmt = stmt.where(RiskLead.status == LeadStatus.OPEN, RiskLead.due_on < today)
    if f.mine or f.show == "todo":
        stmt = stmt.where(RiskLead.status == LeadStatus.OPEN, _mine_leads(user))
    if f.village_id:
        stmt = stmt.where(RiskLead.village_id == f.village_id)
    if f.township_id:
        stmt = stmt.where(RiskLead.township_id == f.township_id)
    return stmt.order_by(RiskLead.due_on, RiskLead.id)


def cases(user, f: Filters, today: date):
    """Cases of the tab: in progress (cases, todo), monitored, or closed; earliest deadline first."""
    stmt = scoped(sa.select(MonitorCase), user).options(
        joinedload(MonitorCase.village), joinedload(MonitorCase.holder), joinedload(MonitorCase.household))
    if f.show == "monitored":
        stmt = stmt.where(MonitorCase.step == MonitorStep.MONITORED)
    elif f.show == "closed":
        stmt = stmt.where(MonitorCase.step.in_((MonitorStep.DISMISSED, MonitorStep.CLEARED)))
    elif f.step is not None and f.step is not MonitorStep.REPORTED:
        stmt = stmt.where(MonitorCase.step == f.step)
    elif f.show == "todo":
        stmt = stmt.where(MonitorCase.step.in_([*CASE_PENDING, MonitorStep.MONITORED]))
    else:
        stmt = stmt.where(MonitorCase.step.in_(CASE_PENDING))
    if f.step is not None and f.show in ("monitored", "closed"):
        stmt = stmt.where(MonitorCase.step == f.step)
    if f.category:
        stmt = stmt.where(MonitorCase.category == f.category)
    if f.cleared:
        stmt = stmt.where(MonitorCase.cleared_on.between(date(f.cleared, 1, 1), date(f.cleared, 12, 31)))
    if f.overdue:
        stmt = stmt.where(MonitorCase.step.in_(CASE_PENDING), MonitorCase.step_due_on < today)
    if f.mine or f.show == "todo":
        stmt = stmt.where(_mine_cases(user))
    if f.village_id:
        stmt = stmt.where(MonitorCase.village_id == f.village_id)
    if f.township_id:
        stmt = stmt.where(MonitorCase.township_id == f.township_id)
    if f.show == "closed":
        return stmt.order_by(MonitorCase.updated_at.desc(), MonitorCase.id.desc())
    return stmt.order_by(sa.nulls_last(MonitorCase.step_due_on.asc()), MonitorCase.id)


def count(stmt) -> int:
    """How many rows a list statement has (for "see all N")."""
    from relief.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def villages_with_items(user) -> list:
    """(id, name) of the villages that have leads or cases the user may see: the village filter."""
    ids = sa.union(scoped(sa.select(RiskLead.village_id), user, RiskLead),
                   scoped(sa.select(MonitorCase.village_id), user, MonitorCase)).subquery()
    return sa.select(Village.id, Village.name).where(Village.id.in_(sa.select(ids.c[0]))).order_by(Village.name)



