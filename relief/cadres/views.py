"""Cadres: the list and one cadre's page."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.dates import today
from relief.extensions import db
from relief.models import Cadre, Pairing, PairingKind, Rank, Unit, Visit
from relief.filters import Filters
from relief.paging import check_page, page_number
from relief.reports import conditions
from relief.scope import get_scoped_or_404, scoped

bp = Blueprint("cadres", __name__, url_prefix="/cadres")


@bp.get("/")
@login_required
def index():
    filters = _filters().check()
    active_households = (sa.select(Pairing.cadre_id, sa.func.count().label("n"))
                         .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
                         .group_by(Pairing.cadre_id).subquery())
    stmt = (scoped(sa.select(Cadre, sa.func.coalesce(active_households.c.n, 0)), current_user, Cadre)
            .join(Unit, Unit.id == Cadre.unit_id)
            .outerjoin(active_households, active_households.c.cadre_id == Cadre.id)
            .options(joinedload(Cadre.unit)).where(*filters.where))
    stmt = stmt.order_by(Unit.name, Cadre.name, Cadre.id)
    per_page = current_app.config["PER_PAGE"]
    page_no = page_number()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page_no - 1) * per_page)).all()
    check_page(page_no, len(rows), total, per_page)
    return render_template("cadres/index.html", rows=rows, total=total, page_no=page_no, per_page=per_page,
                           q=filters.raw("q"), rank=Rank.from_label(filters.raw("rank")), ranks=list(Rank),
                           filters=filters)


def _filters() -> Filters:
    """The cadre list's filters: the search form's and those of the figures that link here."""
    f = Filters()
    q = f.raw("q")
    if q:
        f.add(sa.or_(Cadre.name.contains(q, autoescape=True), Unit.name.contains(q, autoescape=True)),
              _("姓名或单位含“%(q)s”", q=q), "q")
    rank = f.enum("rank", Rank, _("职级"))
    if rank:
        f.add(Cadre.rank == rank, _("职级：%(r)s", r=rank.label), "rank")
    township = f.township()
    period = f.period("paired_in")
    tid = township.id if township else None
    if period:
        words = _("%(p)s内有结对", p=period.label) + (_("（%(name)s）", name=township.name) if township else "")
        f.add(conditions.cadre_paired(tid, period.first, period.last), words, "paired_in", "township")
    elif township:
        f.add(conditions.cadre_paired(tid), _("在%(name)s结对", name=township.name), "township")
    if f.choice("stationed", {"1": _("驻村干部和工作队")}, _("驻村")):
        f.add(conditions.cadre_stationed(), _("驻村干部和工作队"), "stationed")
    below = f.choice("attendance", {"below": _("有月份驻村天数不足")}, _("驻村考勤"))
    year = f.year()
    if below and year is None and "year" not in f.problems:
        f.bad("year", _("按驻村考勤筛选时请同时给出年度（year）"))
    if below and year:
        f.add(conditions.cadre_attendance_below(year, tid),
              _("%(year)d 年有月份驻村天数不足 %(n)d 天", year=year, n=current_app.config["ATTENDANCE_NORM_DAYS"]),
              "attendance", "year")
    return f


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
