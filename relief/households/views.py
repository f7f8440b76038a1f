"""Households: the list (search, filter, pages) and one household's page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from relief import audit
from relief.dates import today
from relief.extensions import db
from relief.fields import db_int
from relief.models import CHECKS, Household, HouseholdStatus
from relief.monitoring import figures as monitoring_figures
from relief.paging import paginate
from relief.scope import get_scoped_or_404, may_reveal

from . import services
from .filters import list_filters

bp = Blueprint("households", __name__, url_prefix="/households")


@bp.get("/")
@login_required
def index():
    filters = list_filters().check()
    page = paginate(services.household_list(current_user, filters.where))
    beyond = services.beyond(current_user, filters.where, page.total) if filters.one_cadre else 0
    return render_template("households/index.html", page=page, q=filters.raw("q"),
                           status=HouseholdStatus.from_label(filters.raw("status")),
                           village_id=db_int(filters.raw("village")) if filters.raw("village").isdecimal() else None,
                           villages=services.village_choices(current_user), statuses=list(HouseholdStatus),
                           filters=filters, people=services.people(current_user, filters.where), beyond=beyond)


def _household(household_id: int) -> Household:
    return get_scoped_or_404(Household, household_id, current_user,
                             options=[joinedload(Household.village), selectinload(Household.incomes)])


@bp.get("/<int:household_id>")
@login_required
def show(household_id: int):
    return _render(_household(household_id), revealed={})


@bp.post("/<int:household_id>/reveal")
@login_required
def reveal(household_id: int):
    """Show a full ID or phone number once; every reveal is in the audit trail."""
    household = _household(household_id)
    field = request.form.get("field")
    if field not in ("id_number", "phone") or not may_reveal(current_user, field):
        abort(403)
    audit.log(db.session, "reveal", "household", household.id, note=field)
    db.session.commit()
    return _render(household, revealed={field: getattr(household, field)})


def _render(household: Household, revealed: dict):
    page = services.household_page(current_user, household, today())
    return render_template("households/show.html", h=household, pairings=page.pairings, visits=page.visits,
                           demands=page.demands, checks=CHECKS, revealed=revealed, due=page.due, today=today(),
                           may_reveal=lambda field: may_reveal(current_user, field),
                           monitor_cases=monitoring_figures.household_history(current_user, household.id),
                           monitor_leads=monitoring_figures.household_open_leads(current_user, household.id))
