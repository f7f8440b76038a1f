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
    Demand,
    Household,
    HouseholdStatus,
    Pairing,
    PairingKind,
    Role,
    Township,
    Village,
    Visit,
)
from relief.reports.dashboard import households_where, int_arg
from relief.scope import get_scoped_or_404, scoped
from relief.fields import db_int

bp = Blueprint("households", __name__, url_prefix="/households")


@bp.get("/")
@login_required
def index():
    q = (request.args.get("q") or "").strip()
    status = HouseholdStatus.from_label(request.args.get("status", ""))
    village_id = request.args.get("village", type=db_int)
    stmt = scoped(sa.select(Household), current_user).options(
        joinedload(Household.village), joinedload(Household.township))
    if q:
        stmt = stmt.where(Household.head_name.contains(q, autoescape=True))
    if status:
        stmt = stmt.where(Household.status == status)
    if village_id:
        stmt = stmt.where(Household.village_id == village_id)
    extra = households_where(request.args, today())
    if extra:
        stmt = stmt.where(*extra)
    stmt = stmt.order_by(Household.township_id, Household.village_id, Household.head_name, Household.id)
    page = paginate(stmt)
    villages = db.session.execute(
        scoped(sa.select(Village.id, Village.name), current_user, Village)
        .where(Village.id.in_(scoped(sa.select(Household.village_id), current_user, Household)))
        .order_by(Village.name)
    ).all()
    return render_template("households/index.html", page=page, q=q, status=status, village_id=village_id,
                           villages=villages, statuses=list(HouseholdStatus), filters=_filter_labels(request.args))


def _filter_labels(args) -> list[str]:
    """Words for the dashboard's filters in force, shown above the list."""
    labels = []
    if int_arg(args, "township") is not None:
        name = db.session.scalar(scoped(sa.select(Township.name), current_user, Township)
                                 .where(Township.id == int_arg(args, "township")))
        labels.append(_("乡镇：%(name)s", name=name or "—"))
    if args.get("need") == "1":
        labels.append(_("贫困户和监测户"))
    if args.get("paired") in ("0", "1"):
        labels.append(_("已结对") if args["paired"] == "1" else _("未结对"))
    if args.get("visited") in ("30", "90"):
        labels.append(_("近 %(n)s 天内走访过", n=args["visited"]))
    due = {"ok": _("走访正常"), "due": _("应走访"), "overdue": _("已逾期未走访")}
    if args.get("due") in due:
        labels.append(due[args["due"]])
    if int_arg(args, "cadre") is not None:
        labels.append(_("指定干部的结对户"))
    holidays = {"spring_festival": _("春节慰问"), "mid_autumn": _("中秋慰问")}
    if args.get("holiday") in holidays and int_arg(args, "year") and args.get("covered") in ("0", "1"):
        labels.append(_("%(year)s 年%(holiday)s：%(state)s", year=args["year"], holiday=holidays[args["holiday"]],
                        state=_("已慰问") if args["covered"] == "1" else _("未慰问")))
    return labels


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
