"""Demands (诉求): the list with overdue first, one demand's page, and the actions on it."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.access import writers_only
from relief.dates import today
from relief.paging import paginate
from relief.extensions import db
from relief.models import Cadre, Demand, DemandStatus, Household, Role, Village, Visit
from relief.filters import Filters
from relief.reports import conditions
from relief.scope import count_beyond, get_scoped_or_404, scoped

from . import services

bp = Blueprint("demands", __name__, url_prefix="/demands")

#: the tabs above the list; `closed` (either way settled) is still accepted as a filter
TABS = ("open", "overdue", "resolved", "cannot_resolve", "all")


@bp.get("/")
@login_required
def index():
    filters = _filters().check()
    show = filters.state
    mine = current_user.role is Role.CADRE and request.args.get("mine", "1") != "0"
    base = sa.select(Demand).where(filters.state_condition, *filters.where)
    if mine:
        base = base.where(Demand.owner_id == current_user.cadre_id)
    is_open = Demand.status.in_(DemandStatus.open_statuses())
    # open ones first, the earliest deadline (most overdue) on top; settled ones newest first
    stmt = scoped(base, current_user).options(
        joinedload(Demand.household).load_only(Household.id, Household.head_name),
        joinedload(Demand.village), joinedload(Demand.owner)).order_by(
        sa.case((is_open, 0), else_=1), sa.case((is_open, Demand.deadline)), Demand.resolved_on.desc(), Demand.id)
    page = paginate(stmt)
    beyond = count_beyond(base, current_user, page.total) if filters.one_cadre else 0
    # the tabs' counts: the same filters but the state and its period
    counts = scoped(sa.select(sa.func.count().filter(conditions.demand_condition("open", filters.today)),
                              sa.func.count().filter(conditions.demand_condition("overdue", filters.today)))
                    .select_from(Demand).where(*filters.where), current_user, Demand)
    if mine:
        counts = counts.where(Demand.owner_id == current_user.cadre_id)
    n_open, n_overdue = db.session.execute(counts).one()
    return render_template("demands/index.html", page=page, show=show, mine=mine, tabs=list(TABS), labels=STATE_LABELS,
                           n_open=n_open, n_overdue=n_overdue, today=today(), filters=filters, beyond=beyond)


STATE_LABELS = {"open": _l("未办结"), "overdue": _l("已超期"), "resolved": _l("已办结"),
                "cannot_resolve": _l("无法解决"), "closed": _l("已办结或无法解决"), "all": _l("全部")}


def _filters() -> Filters:
    """The demand list's filters: the state (its tabs), a period, a township, a cadre, a household."""
    f = Filters()
    key = "status" if f.raw("status") else "show"  # `show` is the state's former name
    state = f.choice(key, {k: str(v) for k, v in STATE_LABELS.items()}, _("状态")) or "open"
    period = f.period()
    f.state = state
    # the state is shown by the tabs, so it is kept apart from the other filters (the tabs' counts
    # use those); a period makes it a filter of its own, in words
    f.state_condition = conditions.demand_condition(state, f.today, *((period.first, period.last) if period else ()))
    if period:
        words = {"open": _("%(p)s内提出、尚未办结"), "overdue": _("%(p)s内有超期未办的日子"),
                 "resolved": _("%(p)s内办结"), "cannot_resolve": _("%(p)s内确认无法解决"),
                 "closed": _("%(p)s内办结或确认无法解决"), "all": _("%(p)s内提出")}[state]
        f.add(None, words % {"p": period.label}, "period")
    township = f.township()
    if township:
        f.add(Demand.township_id == township.id, _("乡镇：%(name)s", name=township.name), "township")
    owner = f.row("owner", Cadre, _("负责干部"))
    if owner:
        f.one_cadre = True
        f.add(Demand.owner_id == owner.id, _("负责干部：%(name)s", name=owner.name), "owner")
    household = f.row("household", Household, _("帮扶户"))
    if household:
        f.add(Demand.household_id == household.id, _("帮扶户：%(name)s", name=household.head_name), "household")
    village = f.row("village", Village, _("村"))
    if village:
        f.add(Demand.village_id == village.id, _("村：%(name)s", name=village.name), "village")
    return f


def _demand(demand_id: int) -> Demand:
    return get_scoped_or_404(Demand, demand_id, current_user, options=[
        joinedload(Demand.household), joinedload(Demand.village), joinedload(Demand.owner)])


def _render(demand: Demand, errors: dict | None = None, status: int = 200):
    visits = {}
    ids = [i for i in (demand.visit_id, demand.resolved_in_visit_id) if i]
    if ids:  # only the visits the user may open are linked
        visits = {v.id: v for v in db.session.scalars(scoped(sa.select(Visit), current_user).where(Visit.id.in_(ids)))}
    return render_template("demands/show.html", d=demand, errors=errors or {}, today=today(),
                           writable=services.writable(current_user, demand.id), visits=visits,
                           new_deadline=services.default_deadline(today())), status


@bp.get("/<int:demand_id>")
@login_required
def show(demand_id: int):
    return _render(_demand(demand_id))


def _date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise services.DemandError(_("日期格式应为 2024-05-01")) from None


def _act(demand_id: int, field: str, action, done: str):
    demand = _demand(demand_id)
    try:
        action(demand)
    except services.DemandError as exc:
        db.session.rollback()
        return _render(_demand(demand_id), {field: str(exc)}, 422)
    except PermissionError:
        abort(403)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("demands.show", demand_id=demand_id))


@bp.post("/<int:demand_id>/resolve")
@writers_only
def resolve(demand_id: int):
    return _act(demand_id, "resolution", lambda d: services.resolve(
        current_user, d, request.form.get("resolution"), _date("resolved_on")), _("诉求已办结"))


@bp.post("/<int:demand_id>/start")
@writers_only
def start(demand_id: int):
    return _act(demand_id, "start", lambda d: services.start(current_user, d), _("已标为办理中"))


@bp.post("/<int:demand_id>/cannot")
@writers_only
def cannot(demand_id: int):
    return _act(demand_id, "reason", lambda d: services.cannot_resolve(
        current_user, d, request.form.get("reason")), _("已标为无法解决"))


@bp.post("/<int:demand_id>/reopen")
@writers_only
def reopen(demand_id: int):
    return _act(demand_id, "deadline", lambda d: services.reopen(current_user, d, _date("deadline")),
                _("诉求已重新打开"))

