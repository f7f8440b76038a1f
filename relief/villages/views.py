"""Villages: the list and one village's page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief import targets
from relief.extensions import db
from relief.models import Household, Pairing, Project, Township, Village, VillageIncome
from relief.scope import get_scoped_or_404, scoped

bp = Blueprint("villages", __name__, url_prefix="/villages")


@bp.get("/")
@login_required
def index():
    q = (request.args.get("q") or "").strip()
    weak_only = request.args.get("weak") == "1"
    township_id = request.args.get("township", type=int)
    counts = (sa.select(Household.village_id, sa.func.count().label("n"))
              .group_by(Household.village_id).subquery())
    stmt = (scoped(sa.select(Village, sa.func.coalesce(counts.c.n, 0)), current_user, Village)
            .outerjoin(counts, counts.c.village_id == Village.id)
            .options(joinedload(Village.township)))
    if q:
        stmt = stmt.where(Village.name.contains(q, autoescape=True))
    if weak_only:
        stmt = stmt.where(Village.is_weak)
    if township_id:
        stmt = stmt.where(Village.township_id == township_id)
    stmt = stmt.order_by(Village.township_id, Village.name)
    per_page = current_app.config["PER_PAGE"]
    page_no = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page_no - 1) * per_page)).all()
    townships = db.session.scalars(scoped(sa.select(Township), current_user).order_by(Township.name)).all()
    return render_template("villages/index.html", rows=rows, total=total, page_no=page_no, per_page=per_page,
                           q=q, weak_only=weak_only, township_id=township_id, townships=townships)


@bp.get("/<int:village_id>")
@login_required
def show(village_id: int):
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    incomes = db.session.scalars(
        sa.select(VillageIncome).where(VillageIncome.village_id == village.id).order_by(VillageIncome.year)
    ).all()
    pairings = db.session.scalars(
        sa.select(Pairing).where(Pairing.village_id == village.id, Pairing.household_id.is_(None))
        .options(joinedload(Pairing.cadre)).order_by(Pairing.ended_on.is_not(None), Pairing.started_on.desc())
    ).all()
    projects = db.session.scalars(
        scoped(sa.select(Project), current_user).where(Project.village_id == village.id).order_by(Project.id)
    ).all()
    households = db.session.scalar(
        scoped(sa.select(sa.func.count()).select_from(Household), current_user, Household)
        .where(Household.village_id == village.id))
    history = [(i.year, i.income_yuan, targets.target_for(village, i.year)) for i in incomes]
    return render_template("villages/show.html", v=village, history=history, pairings=pairings,
                           projects=projects, households=households)
