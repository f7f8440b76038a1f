"""The quarterly work record (实绩档案): each cadre's figures, score and ranks; Excel per quarter."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from relief import audit
from relief.access import roles_required
from relief.dates import today
from relief.paging import check_page, page_number
from relief.extensions import db
from relief.models import Cadre, Role
from relief.reports.records import quarter_bounds, quarter_of, quarter_records
from relief.fields import db_int, year_int
from relief.scope import scoped

from .excel import workbook

bp = Blueprint("records", __name__, url_prefix="/records")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _quarter() -> tuple[int, int]:
    """The year and quarter asked for; the current quarter when absent, malformed or not begun."""
    now = quarter_of(today())
    year = request.args.get("year", type=year_int) or now[0]
    quarter = request.args.get("quarter", type=db_int) or now[1]
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        flash(_("季度应为 1 到 4，年度应为四位数字；已显示本季度"), "warning")
        return now
    if (year, quarter) > now:
        flash(_("%(year)d 年第 %(q)d 季度尚未开始；已显示本季度", year=year, q=quarter), "warning")
        return now
    return year, quarter


@bp.get("/")
@login_required
def index():
    year, quarter = _quarter()
    records = quarter_records(current_user, year, quarter, today())
    units = sorted({(r.unit_id, r.unit) for r in records}, key=lambda u: u[1])
    townships = sorted({item for r in records for item in r.townships.items()}, key=lambda t: t[1])
    unit_id = request.args.get("unit", type=db_int)
    township_id = request.args.get("township", type=db_int)
    q = (request.args.get("q") or "").strip()
    rows = [r for r in records if (not unit_id or r.unit_id == unit_id)
            and (not township_id or township_id in r.townships) and (not q or q in r.name)]
    rows.sort(key=lambda r: (-r.total, r.unit, r.name))
    per_page = current_app.config["PER_PAGE"]
    page_no = page_number()
    check_page(page_no, len(rows[(page_no - 1) * per_page: page_no * per_page]), len(rows), per_page)
    first, last = quarter_bounds(year, quarter)
    shown = rows[(page_no - 1) * per_page: page_no * per_page]
    # a figure links to the cadre's rows only where the user may open that cadre's lists
    linkable = set(db.session.scalars(scoped(sa.select(Cadre.id), current_user, Cadre)
                                      .where(Cadre.id.in_([r.cadre_id for r in shown])))) if shown else set()
    return render_template(
        "records/index.html", rows=shown, total=len(rows), linkable=linkable, period=f"{year}-Q{quarter}",
        page_no=page_no, per_page=per_page, year=year, quarter=quarter, first=first, last=last, units=units,
        townships=townships, unit_id=unit_id, township_id=township_id, q=q,
        weights=current_app.config["RECORD_WEIGHTS"], norm=current_app.config["ATTENDANCE_NORM_DAYS"],
        this_year=today().year, downloadable=current_user.role in (Role.ADMIN, Role.INSPECTOR))


@bp.get("/download")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def download():
    year, quarter = _quarter()
    records = sorted(quarter_records(current_user, year, quarter, today()), key=lambda r: (-r.total, r.unit, r.name))
    data = workbook(records, year, quarter, current_app.config["RECORD_WEIGHTS"],
                    current_app.config["ATTENDANCE_NORM_DAYS"])
    audit.log(db.session, "export", "record", None, note=f"{year}Q{quarter}: {len(records)} cadres")
    db.session.commit()
    name = f"work-record-{year}-Q{quarter}.xlsx"
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
