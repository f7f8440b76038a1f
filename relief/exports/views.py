"""Downloads of the yearly workbook (or one sheet as CSV) and the printable yearly report."""
from __future__ import annotations

import tempfile

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from relief.access import roles_required
from relief.database import writing
from relief.dates import today
from relief.extensions import db
from relief.models import Role, Township
from relief.reports import village_progress, year_figures
from relief.reports.export import township_figures
from relief.scope import township_of_request

from . import report, services

bp = Blueprint("exports", __name__, url_prefix="/exports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2000


def _year(required: bool = False) -> int:
    raw = request.args.get("year", "")
    if not raw and not required:
        return today().year
    try:
        year = int(raw)
    except ValueError:
        abort(400)
    if not FIRST_YEAR <= year <= today().year + 1:
        abort(400)
    return year


def _township() -> Township | None:
    """The chosen township (id or name); a leader always their own; any other is a 404."""
    return township_of_request(request.args.get("township"), current_user)


@bp.get("/")
@roles_required(Role.ADMIN, Role.LEADER)
def index():
    townships = db.session.scalars(sa.select(Township).order_by(Township.name)).all() \
        if current_user.role is Role.ADMIN else []
    years = list(range(today().year, today().year - 6, -1))
    return render_template("exports/index.html", year=_year(), years=years, township=_township(),
                           townships=townships, sheets=services.SHEET_NAMES,
                           may_full=current_user.role is Role.ADMIN)


@bp.get("/download")
@roles_required(Role.ADMIN, Role.LEADER)
def download():
    year = _year(required=True)
    township = _township()
    full_ids = request.args.get("full_ids") == "1"
    if full_ids and current_user.role is not Role.ADMIN:
        abort(403)
    fmt = request.args.get("format", "xlsx")
    sheet = request.args.get("sheet") if fmt == "csv" else None
    if fmt not in ("xlsx", "csv") or (fmt == "csv" and sheet not in services.SHEET_KEYS):
        abort(400)
    out = tempfile.TemporaryFile()
    services.export(out, current_user, year, township, full_ids=full_ids, sheet=sheet)
    db.session.commit()  # end the read transaction before taking the write lock for the audit event
    with writing():
        services.log_export(current_user, services.describe(year, township, full_ids, sheet))
        db.session.commit()
    out.seek(0)
    scope = township.name if township else _("全区")
    if sheet:
        name = f"{services.SHEET_NAMES[sheet]}_{year}_{scope}.csv"
        return send_file(out, mimetype="text/csv", as_attachment=True, download_name=name)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=f"结对帮扶成效_{year}_{scope}.xlsx")


@bp.get("/report")
@roles_required(Role.ADMIN, Role.LEADER)
def yearly_report():
    year = _year()
    township = _township()
    tid = township.id if township else None
    figures = year_figures(current_user, year, township_id=tid)
    targets = {p.target_yuan for p in village_progress(current_user, year, township_id=tid)}
    rows = [row for row in township_figures(current_user, year) if tid is None or row[0] == tid]
    return render_template("exports/report.html", year=year, township=township, figures=figures,
                           headline=report.headline(figures, targets), work=report.work_sentence(figures),
                           rows=rows, fmt=report, years=list(range(today().year, today().year - 6, -1)))
