"""The quarterly work record (实绩档案): each cadre's figures, score and ranks; Excel per quarter."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from relief import audit
from relief.access import roles_required
from relief.dates import today
from relief.extensions import db
from relief.fields import db_int, year_int
from relief.models import Role
from relief.paging import paginate_list
from relief.spreadsheets import XLSX

from . import services
from .excel import workbook
from .figures import quarter_bounds, quarter_of, quarter_records

bp = Blueprint("records", __name__, url_prefix="/records")
#: who may download the quarter's workbook of every record
DOWNLOADERS = (Role.ADMIN, Role.INSPECTOR)


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
    unit_id = request.args.get("unit", type=db_int)
    township_id = request.args.get("township", type=db_int)
    q = (request.args.get("q") or "").strip()
    found = services.record_list(current_user, year, quarter, today(), unit_id, township_id, q)
    page = paginate_list(found.rows)
    first, last = quarter_bounds(year, quarter)
    return render_template(
        "records/index.html", rows=page.items, page=page, total=page.total,
        linkable=services.linkable(current_user, [r.cadre_id for r in page.items]), period=f"{year}-Q{quarter}",
        year=year, quarter=quarter, first=first, last=last, units=found.units,
        townships=found.townships, unit_id=unit_id, township_id=township_id, q=q,
        weights=current_app.config["RECORD_WEIGHTS"], norm=current_app.config["ATTENDANCE_NORM_DAYS"],
        this_year=today().year, downloadable=current_user.role in DOWNLOADERS)


@bp.get("/download")
@roles_required(*DOWNLOADERS)
def download():
    year, quarter = _quarter()
    records = services.ranked(quarter_records(current_user, year, quarter, today()))
    data = workbook(records, year, quarter, current_app.config["RECORD_WEIGHTS"],
                    current_app.config["ATTENDANCE_NORM_DAYS"])
    audit.log(db.session, "export", "record", None, note=f"{year}Q{quarter}: {len(records)} cadres")
    db.session.commit()
    name = f"work-record-{year}-Q{quarter}.xlsx"
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
