"""Cadres: the list and one cadre's page."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.dates import today
from relief.extensions import db
from relief.models import Cadre, Pairing, PairingKind, Rank, Township, Unit, Visit
from relief.reports.dashboard import cadres_where, int_arg
from relief.scope import get_scoped_or_404, scoped

bp = Blueprint("cadres", __name__, url_prefix="/cadres")


@bp.get("/")
@login_required
def index():
    q = (request.args.get("q") or "").strip()
    rank = Rank.from_label(request.args.get("rank", ""))
    active_households = (sa.select(Pairing.cadre_id, sa.func.count().label("n"))
                         .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
                         .group_by(Pairing.cadre_id).subquery())
    stmt = (scoped(sa.select(Cadre, sa.func.coalesce(active_households.c.n, 0)), current_user, Cadre)
            .join(Unit, Unit.id == Cadre.unit_id)
            .outerjoin(active_households, active_households.c.cadre_id == Cadre.id)
            .options(joinedload(Cadre.unit)))
    if q:
        stmt = stmt.where(sa.or_(Cadre.name.contains(q, autoescape=True), Unit.name.contains(q, autoescape=True)))
    if rank:
        stmt = stmt.where(Cadre.rank == rank)
    extra = cadres_where(request.args)
    if extra:
        stmt = stmt.where(*extra)
    stmt = stmt.order_by(Unit.name, Cadre.name)
    per_page = current_app.config["PER_PAGE"]
    page_no = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page_no - 1) * per_page)).all()
    return render_template("cadres/index.html", rows=rows, total=total, page_no=page_no, per_page=per_page,
                           q=q, rank=rank, ranks=list(Rank), filters=_filter_labels(request.args))


def _filter_labels(args) -> list[str]:
    """Words for the dashboard's filters in force, shown above the list."""
    labels = []
    if int_arg(args, "township") is not None:
        name = db.session.scalar(scoped(sa.select(Township.name), current_user, Township)
                                 .where(Township.id == int_arg(args, "township")))
        labels.append(_("在%(name)s结对", name=name or "—"))
    if args.get("stationed") == "1":
        labels.append(_("驻村干部和工作队"))
    if args.get("attendance") == "below" and int_arg(args, "year"):
        labels.append(_("%(year)s 年有月份驻村天数不足 %(n)d 天", year=args["year"],
                        n=current_app.config["ATTENDANCE_NORM_DAYS"]))
    return labels


@bp.get("/<int:cadre_id>")
@login_required
def show(cadre_id: int):
    cadre = get_scoped_or_404(Cadre, cadre_id, current_user, options=[joinedload(Cadre.unit)])
    pairings = db.session.scalars(
        scoped(sa.select(Pairing), current_user).where(Pairing.cadre_id == cadre.id)
        .options(joinedload(Pairing.household), joinedload(Pairing.village))
        .order_by(Pairing.ended_on.is_not(None), Pairing.started_on.desc())
    ).all()
    year = today().year
    visits_year = db.session.scalar(
        scoped(sa.select(sa.func.count()).select_from(Visit), current_user, Visit)
        .where(Visit.cadre_id == cadre.id, Visit.visited_on >= date(year, 1, 1)))
    recent = db.session.scalars(
        scoped(sa.select(Visit), current_user).where(Visit.cadre_id == cadre.id)
        .options(joinedload(Visit.household), joinedload(Visit.village))
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(20)
    ).all()
    return render_template("cadres/show.html", c=cadre, pairings=pairings, visits_year=visits_year,
                           recent=recent, year=year)
