"""The inspector's list of visits that look made up, with their evidence."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from relief.access import roles_required
from relief.dates import today
from relief.fields import year_int
from relief.filters import township_choices
from relief.monitoring import figures as monitoring_figures
from relief.scope import FLAG_READERS, township_asked

from . import services

bp = Blueprint("flags", __name__, url_prefix="/flags")


@bp.get("/")
@roles_required(*FLAG_READERS)
def index():
    year = request.args.get("year", type=year_int) or today().year
    township_id = township_asked(current_user, request.args.get("township"))
    reason = request.args.get("reason") if request.args.get("reason") in services.REASONS else None
    page = services.flag_page(year, township_id, reason)
    return render_template("flags/index.html", flags=page.flags, visits=page.visits, copies=page.copies, year=year,
                           township_id=township_id, townships=township_choices(current_user), reason=reason,
                           labels=services.REASON_LABELS,
                           odd_steps=monitoring_figures.suspicious_steps(current_user, year, township_id))
