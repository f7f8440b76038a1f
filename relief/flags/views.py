"""The inspector's list of visits that look made up, with their evidence."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from sqlalchemy.orm import joinedload

from relief.access import roles_required
from relief.dates import today
from relief.extensions import db
from relief.models import Role, Township, Visit
from relief.reports.flags import copies_of, visit_flags

bp = Blueprint("flags", __name__, url_prefix="/flags")


@bp.get("/")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def index():
    year = request.args.get("year", type=int) or today().year
    township_id = request.args.get("township", type=int)
    flags = visit_flags(year, township_id)
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_([fl.visit_id for fl in flags]))
        .options(joinedload(Visit.cadre), joinedload(Visit.household), joinedload(Visit.village)))}
    copies = {}
    for fl in flags:
        if "copied_notes" in fl.reasons:
            text = visits[fl.visit_id].notes.strip()
            if text not in copies:
                copies[text] = copies_of(text, year)
    townships = db.session.scalars(sa.select(Township).order_by(Township.name)).all()
    return render_template("flags/index.html", flags=flags, visits=visits, copies=copies, year=year,
                           township_id=township_id, townships=townships)
