"""Households: the list (search, filter, pages) and one household's page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from relief import audit, reports
from relief.dates import today
from relief.paging import paginate
from relief.extensions import db
from relief.models import (
    CHECKS,
    Cadre,
    Demand,
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Role,
    Village,
    Visit,
    VisitKind,
)
from relief.fields import db_int
from relief.filters import Filters
from relief.reports import conditions
from relief.reports.holidays import HOLIDAYS
from relief.scope import count_beyond, get_scoped_or_404, scoped

bp = Blueprint("households", __name__, url_prefix="/households")


@bp.get("/")
@login_required
def index():
    filters = _filters().check()
    base = sa.select(Household).where(*filters.where)
    stmt = scoped(base, current_user).options(joinedload(Household.village), joinedload(Household.township))
    stmt = stmt.order_by(Household.township_id, Household.village_id, Household.head_name, Household.id)
    page = paginate(stmt)
    people = db.session.scalar(scoped(sa.select(sa.func.coalesce(sa.func.sum(Household.members), 0))
                                      .where(*filters.where), current_user, Household))
    beyond = count_beyond(base, current_user, page.total) if filters.one_cadre else 0
    villages = db.session.execute(
        scoped(sa.select(Village.id, Village.name), current_user, Village)
        .where(Village.id.in_(scoped(sa.select(Household.village_id), current_user, Household)))
        .order_by(Village.name)
    ).all()
    return render_template("households/index.html", page=page, q=filters.raw("q"),
                           status=HouseholdStatus.from_label(filters.raw("status")),
                           village_id=db_int(filters.raw("village")) if filters.raw("village").isdecimal() else None,
                           villages=villages, statuses=list(HouseholdStatus), filters=filters, people=people,
                           beyond=beyond)


def _filters() -> Filters:
    """The household list's filters: the search form's and those of the figures that link here."""
    f = Filters()
    now = f.today
    q = f.raw("q")
    if q:
        f.add(Household.head_name.contains(q, autoescape=True), _("户主姓名含“%(q)s”", q=q), "q")
    township = f.township()
    if township:
        f.add(Household.township_id == township.id, _("乡镇：%(name)s", name=township.name), "township")
    village = f.row("village", Village, _("村"))
    if village:
        f.add(Household.village_id == village.id, _("村：%(name)s", name=village.name), "village")
    status = f.enum("status", HouseholdStatus, _("状态"))
    if status:
        f.add(Household.status == status, _("状态：%(s)s", s=status.label), "status")
    if f.choice("need", {"1": _("贫困户和监测户")}, _("帮扶对象")):
        f.add(Household.status.in_(HouseholdStatus.needing()), _("贫困户和监测户"), "need")
    paired = f.choice("paired", {"1": _("已结对"), "0": _("未结对")}, _("结对"))
    if paired:
        pairing = conditions.active_household_pairing()
        f.add(pairing if paired == "1" else ~pairing, _("已结对") if paired == "1" else _("未结对"), "paired")
    days = f.whole("visited", 1, 3650, _("走访天数"))
    if days:
        f.add(conditions.visited_within(days, now), _("已结对，近 %(n)d 天内走访过", n=days), "visited")
    days = f.whole("unvisited", 1, 3650, _("未走访天数"))
    if days:
        f.add(conditions.not_visited_within(days, now), _("已结对，近 %(n)d 天内没有走访", n=days), "unvisited")
    dues = {"ok": _("走访正常"), "due": _("应走访"), "overdue": _("已逾期未走访")}
    due = f.choice("due", dues, _("走访状态"))
    if due:
        f.add(conditions.due_condition(due, now), dues[due], "due")
    lifted = f.year("lifted")
    if lifted:
        f.add(Household.lifted_year == lifted, _("%(y)d年脱贫", y=lifted), "lifted")
    cadre = f.row("cadre", Cadre, _("干部"))
    cadre_id = cadre.id if cadre else None
    f.one_cadre = cadre is not None
    holiday = f.choice("holiday", {k: VisitKind(k).label for k in HOLIDAYS}, _("节日"))
    year = f.year()
    covered = f.choice("covered", {"1": _("已慰问"), "0": _("未慰问")}, _("慰问"))
    period = f.period("paired_in")
    if holiday and year is None and "year" not in f.problems:
        f.bad("year", _("按节日慰问筛选时请同时给出年度（year）"))
    if holiday and year:
        words = _("%(y)d年%(h)s时段内结对", y=year, h=VisitKind(holiday).label)
        if covered:
            words += "，" + (_("已慰问") if covered == "1" else _("未慰问"))
        if cadre:
            words += "，" + _("结对干部：%(name)s", name=cadre.name)
        f.add(conditions.holiday_condition(holiday, year, None if covered is None else covered == "1", cadre_id),
              words, "holiday", "year", "covered", *(("cadre",) if cadre else ()))
    elif covered:
        f.bad("covered", _("“已慰问/未慰问”要和节日（holiday）、年度（year）一起使用"))
    if period:
        words = _("%(p)s内结对", p=period.label) + ("，" + _("结对干部：%(name)s", name=cadre.name) if cadre else "")
        f.add(conditions.paired_during(period.first, period.last, cadre_id if not holiday else None), words,
              "paired_in", *(("cadre",) if cadre and not holiday else ()))
    if cadre and not holiday and not period:
        f.add(conditions.active_household_pairing(cadre_id), _("%(name)s的结对户", name=cadre.name), "cadre")
    return f


def _may_reveal(user, household: Household, field: str) -> bool:
    if user.role in (Role.ADMIN, Role.LEADER, Role.INSPECTOR):
        return True
    return field == "phone" and user.role is Role.CADRE  # a paired cadre may call their household


@bp.get("/<int:household_id>")
@login_required
def show(household_id: int):
    household = get_scoped_or_404(Household, household_id, current_user,
                                   options=[joinedload(Household.village), selectinload(Household.incomes)])
    return _render(household, revealed={})


@bp.post("/<int:household_id>/reveal")
@login_required
def reveal(household_id: int):
    """Show a full ID or phone number once; every reveal is in the audit trail."""
    household = get_scoped_or_404(Household, household_id, current_user,
                                  options=[joinedload(Household.village), selectinload(Household.incomes)])
    field = request.form.get("field")
    if field not in ("id_number", "phone") or not _may_reveal(current_user, household, field):
        abort(403)
    audit.log(db.session, "reveal", "household", household.id, note=field)
    db.session.commit()
    return _render(household, revealed={field: getattr(household, field)})


def _render(household: Household, revealed: dict):
    pairings = db.session.scalars(
        scoped(sa.select(Pairing), current_user, Pairing).where(Pairing.household_id == household.id)
        .options(joinedload(Pairing.cadre)).order_by(Pairing.started_on.desc())
    ).all() if current_user.role is not Role.CADRE else db.session.scalars(
        sa.select(Pairing).where(Pairing.household_id == household.id)
        .options(joinedload(Pairing.cadre)).order_by(Pairing.started_on.desc())
    ).all()
    visits = db.session.scalars(
        sa.select(Visit).where(Visit.household_id == household.id).options(joinedload(Visit.cadre))
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(50)
    ).all()
    demands = db.session.scalars(
        sa.select(Demand).where(Demand.household_id == household.id).order_by(Demand.deadline.desc())
    ).all()
    active = [p for p in pairings if p.ended_on is None and p.kind is PairingKind.HOUSEHOLD]
    last = visits[0].visited_on if visits else None
    started = min((p.started_on for p in active), default=None)
    due = reports.due_state(last or started, today()) if active else None
    return render_template("households/show.html", h=household, pairings=pairings, visits=visits,
                           demands=demands, checks=CHECKS, revealed=revealed, due=due, today=today(),
                           may_reveal=lambda f: _may_reveal(current_user, household, f))
