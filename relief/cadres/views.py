"""Cadres: the list and one cadre's page."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.dates import today
from relief.models import Cadre, Rank
from relief.paging import paginate_rows
from relief.scope import get_scoped_or_404

from . import services
from .filters import list_filters

bp = Blueprint("cadres", __name__, url_prefix="/cadres")


@bp.get("/")
@login_required
def index():
    filters = list_filters().check()
    page = paginate_rows(services.cadre_list(current_user, filters.where))
    return render_template("cadres/index.html", rows=page.items, page=page, total=page.total,
                           q=filters.raw("q"), rank=Rank.from_label(filters.raw("rank")), ranks=list(Rank),
                           filters=filters)


@bp.get("/<int:cadre_id>")
@login_required
def show(cadre_id: int):
    cadre = get_scoped_or_404(Cadre, cadre_id, current_user, options=[joinedload(Cadre.unit)])
    year = today().year
    page = services.cadre_page(current_user, cadre, year)
    return render_template("cadres/show.html", c=cadre, pairings=page.pairings, visits_year=page.visits_year,
                           recent=page.recent, year=year)
