"""Demands (诉求): the list with overdue first, one demand's page, and the actions on it."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.access import writers_only
from relief.dates import today
from relief.paging import paginate
from relief.extensions import db
from relief.models import Demand, Role
from relief.scope import get_scoped_or_404

from . import services
from .filters import STATE_LABELS, TABS, list_filters

bp = Blueprint("demands", __name__, url_prefix="/demands")


@bp.get("/")
@login_required
def index():
    filters = list_filters().check()
    mine = current_user.role is Role.CADRE and request.args.get("mine", "1") != "0"
    page = paginate(services.demand_list(current_user, filters.state_condition, filters.where, mine))
    beyond = services.beyond(current_user, filters.state_condition, filters.where, page.total, mine) \
        if filters.one_cadre else 0
    n_open, n_overdue = services.tab_counts(current_user, filters.where, filters.today, mine)
    return render_template("demands/index.html", page=page, show=filters.state, mine=mine, tabs=list(TABS),
                           labels=STATE_LABELS, n_open=n_open, n_overdue=n_overdue, today=today(), filters=filters,
                           beyond=beyond)


def _demand(demand_id: int) -> Demand:
    return get_scoped_or_404(Demand, demand_id, current_user, options=[
        joinedload(Demand.household), joinedload(Demand.village), joinedload(Demand.owner)])


def _render(demand: Demand, errors: dict | None = None, status: int = 200):
    return render_template("demands/show.html", d=demand, errors=errors or {}, today=today(),
                           writable=services.writable(current_user, demand.id),
                           visits=services.linked_visits(current_user, demand),
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

