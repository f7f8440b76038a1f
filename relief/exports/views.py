"""Downloads of the yearly workbook (or one sheet as CSV) and the printable yearly report."""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from relief.access import roles_required
from relief.database import writing
from relief.dates import today
from relief.extensions import db
from relief.models import Role, Township
from relief.filters import township_choices
from relief.scope import may_export_full_ids, township_of_request
from relief.spreadsheets import XLSX

from . import jobs, services
from .yearly_report import percent, report_page

bp = Blueprint("exports", __name__, url_prefix="/exports")
MIMETYPES = {".csv": "text/csv", ".zip": "application/zip", ".xlsx": XLSX}
FIRST_YEAR = 2000


def _year(required: bool = False, args=None) -> int:
    raw = (request.args if args is None else args).get("year", "")
    if not raw and not required:
        return today().year
    try:
        year = int(raw)
    except ValueError:
        abort(400)
    if not FIRST_YEAR <= year <= today().year + 1:
        abort(400)
    return year


def _township(args=None) -> Township | None:
    """The chosen township (id or name); a leader always their own; any other is a 404."""
    return township_of_request((request.args if args is None else args).get("township"), current_user)


@bp.get("/")
@roles_required(Role.ADMIN, Role.LEADER)
def index():
    townships = township_choices(current_user)
    years = list(range(today().year, today().year - 6, -1))
    in_background = jobs.enabled()
    running = jobs.running(current_user) if in_background else None
    return render_template("exports/index.html", year=_year(), years=years, township=_township(),
                           townships=townships, sheets=services.SHEET_NAMES,
                           may_full=may_export_full_ids(current_user), in_background=in_background,
                           running=running if running != "starting" else None)


def _choice(args):
    """(year, township, full_ids, sheet, split) of an export form; bad values are a 400, others' townships a 404.

    `split`: the whole export as a zip of one workbook per township (a workbook only, no township chosen)."""
    year = _year(required=True, args=args)
    township = _township(args)
    full_ids = args.get("full_ids") == "1"
    if full_ids and not may_export_full_ids(current_user):
        abort(403)
    fmt = args.get("format", "xlsx")
    sheet = args.get("sheet") if fmt == "csv" else None
    if fmt not in ("xlsx", "csv") or (fmt == "csv" and sheet not in services.SHEET_KEYS):
        abort(400)
    split = args.get("split") == "1" and sheet is None and township is None
    return year, township, full_ids, sheet, split


def _download_name(year: int, township: Township | None, sheet: str | None, split: bool = False) -> str:
    scope = township.name if township else _("全区")
    if sheet:
        return f"{services.SHEET_NAMES[sheet]}_{year}_{scope}.csv"
    return f"结对帮扶成效_{year}_{scope}{'_按乡镇' if split else ''}.{'zip' if split else 'xlsx'}"


@bp.get("/download")
@roles_required(Role.ADMIN, Role.LEADER)
def download():
    year, township, full_ids, sheet, split = _choice(request.args)
    out = tempfile.TemporaryFile()
    split = split or (sheet is None and township is None and services.must_split(current_user, year, None))
    if split:
        try:
            services.export_by_township(out, current_user, year, full_ids=full_ids)
        except services.ExportError as err:
            flash(str(err), "danger")
            return redirect(url_for("exports.index", year=year))
    else:
        services.export(out, current_user, year, township, full_ids=full_ids, sheet=sheet)
    db.session.commit()  # end the read transaction before taking the write lock for the audit event
    with writing():
        services.log_export(current_user, services.describe(year, township, full_ids, sheet, split))
        db.session.commit()
    out.seek(0)
    response = send_file(out, mimetype=MIMETYPES[".csv" if sheet else ".zip" if split else ".xlsx"],
                         as_attachment=True, download_name=_download_name(year, township, sheet, split))
    # the export page waits for this cookie to know that its file has started to download
    token = request.args.get("token", "")
    if token.isalnum() and len(token) <= 32:
        response.set_cookie("relief-export", token, max_age=120, path="/exports", samesite="Lax",
                            secure=request.is_secure)
    return response


# -- background jobs (EXPORT_JOBS with Redis and `relief worker`) ----------------------------

@bp.post("/jobs")
@roles_required(Role.ADMIN, Role.LEADER)
def submit_job():
    if not jobs.enabled():
        abort(404)
    year, township, full_ids, sheet, split = _choice(request.form)
    job_id, new = jobs.submit(current_user, year, township, full_ids=full_ids, sheet=sheet, split=split,
                              download_name=_download_name(year, township, sheet, split))
    if not new:
        flash(_("您的上一个导出还在进行，完成后才能开始新的导出。下面是它的进度。"), "warning")
    return redirect(url_for("exports.job", job_id=job_id))


def _job_or_404(job_id: str) -> jobs.JobStatus:
    found = jobs.status(job_id, current_user) if jobs.enabled() and len(job_id) <= 64 else None
    if found is None:
        abort(404)
    return found


@bp.get("/jobs/<job_id>")
@roles_required(Role.ADMIN, Role.LEADER)
def job(job_id: str):
    return render_template("exports/job.html", job=_job_or_404(job_id))


@bp.get("/jobs/<job_id>.json")
@roles_required(Role.ADMIN, Role.LEADER)
def job_state(job_id: str):
    found = _job_or_404(job_id)
    return jsonify({"state": found.state, "percent": found.percent, "sheet": found.sheet, "rows": found.rows,
                    "sheet_index": found.sheet_index, "sheets": found.sheets,
                    "file": url_for("exports.job_file", job_id=job_id) if found.state == "finished" else None})


@bp.get("/jobs/<job_id>/file")
@roles_required(Role.ADMIN, Role.LEADER)
def job_file(job_id: str):
    found = _job_or_404(job_id)
    path = jobs.file_of(job_id) if found.state == "finished" else None
    if path is None:
        abort(404)
    return send_file(path, mimetype=MIMETYPES[path.suffix], as_attachment=True,
                     download_name=found.download_name)


@bp.get("/report")
@roles_required(Role.ADMIN, Role.LEADER)
def yearly_report():
    year = _year()
    township = _township()
    page = report_page(current_user, year, township.id if township else None)
    return render_template("exports/report.html", year=year, township=township, figures=page.figures,
                           links=page.links, headline=page.headline, work=page.work, rows=page.rows,
                           percent=percent, years=list(range(today().year, today().year - 6, -1)))
