"""Stationed attendance: the monthly sheet (entered by leaders and admins) and the year at a glance."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from relief.access import roles_required
from relief.dates import today
from relief.paging import paginate
from relief.extensions import db
from relief.errors import abort_with
from relief.models import Pairing
from relief.filters import township_choices
from relief.reports.dashboard import attendance_figures
from relief.fields import db_int, year_int

from . import attendance as att
from .forms import SheetForm
from . import READERS, WRITERS, bp, lookup


def _month_args(now: date) -> tuple[int, int]:
    year = request.args.get("year", now.year, type=year_int)
    month = request.args.get("month", now.month, type=db_int)
    return year, month


def _parse(form) -> tuple[dict[int, int | None], dict[int, str], dict[int, str]]:
    """The sheet's inputs (days-<pairing id>) as numbers; what was typed, and what could not be read."""
    entries, typed, errors = {}, {}, {}
    for key, raw in form.items():
        if not key.startswith("days-"):
            continue
        try:
            pid = int(key.removeprefix("days-"))
        except ValueError:
            abort(400)
        raw = raw.strip()
        typed[pid] = raw
        if not raw:
            entries[pid] = None
        elif raw.isdigit() and len(raw) <= 3:
            entries[pid] = int(raw)
        else:
            errors[pid] = _("请填写0到31之间的整数天数")
    return entries, typed, errors


@bp.route("/attendance", methods=["GET", "POST"])
@roles_required(*READERS)
def attendance():
    now = today()
    year, month = _month_args(now)
    problem = att.month_error(year, month, now)
    if problem and request.method == "GET":
        flash(problem, "warning")
    if problem:
        year, month = now.year, now.month
    township_id = lookup.chosen_township(current_user, request.args)
    form = SheetForm()
    typed, errors, summary = {}, {}, None
    if request.method == "POST":
        if current_user.role not in WRITERS:
            abort(403)
        # a month that cannot be entered (the future, month 13): nothing is saved, the reason is shown
        if problem:
            entries, typed, errors = {}, {}, {0: _("%(problem)s，未保存任何数据", problem=problem)}
        else:
            entries, typed, errors = _parse(request.form)
        if not errors:
            try:
                changed = att.save_attendance(current_user, year, month, entries, now)
                db.session.commit()
            except att.AttendanceError as err:
                db.session.rollback()
                errors = err.errors
            except LookupError:
                db.session.rollback()
                abort(404)
            else:
                flash(_("已保存%(y)d年%(m)d月驻村天数（%(n)d条有变动）", y=year, m=month, n=changed), "success")
                return redirect(url_for("pairings.attendance", year=year, month=month,
                                        township=request.args.get("township"), page=request.args.get("page")))
        summary = errors.get(0) or _("有%(n)d行需要修改，未保存任何数据", n=len(errors))
    page = paginate(att.sheet(current_user, year, month, township_id))
    values = att.recorded([p.id for p in page.items], year, month)
    prev_m = (date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1))
    next_m = None if (year, month) >= (now.year, now.month) else \
        (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))
    return render_template(
        "pairings/attendance.html", form=form, page=page, values=values, typed=typed, errors=errors,
        summary=summary, year=year, month=month, township_id=township_id, townships=township_choices(current_user),
        max_days=att.days_so_far(year, month, now), norm=current_app.config["ATTENDANCE_NORM_DAYS"],
        may_write=current_user.role in WRITERS, prev_m=prev_m, next_m=next_m, years=range(now.year, now.year - 6, -1),
    ), 422 if errors else 200


@bp.get("/attendance/year")
@roles_required(*READERS)
def attendance_year():
    now = today()
    year = request.args.get("year", now.year, type=year_int)
    if not att.FIRST_YEAR <= year <= now.year:
        year = now.year
    township_id = lookup.chosen_township(current_user, request.args)
    months = request.args.get("months") or None  # the dashboard's figures: months at or under the norm
    if months not in (None, "met", "below"):
        abort_with(400, _("“months”应为 met（满%(n)d天的月份）或 below（不足%(n)d天的月份）",
                          n=current_app.config["ATTENDANCE_NORM_DAYS"]),
                   link=(url_for("pairings.attendance_year", year=year), _("查看全年一览")))
    rows = att.year_rows(current_user, year, township_id)
    if months:
        rows = rows.where(Pairing.id.in_(att.pairings_with_months(year, met=months == "met")))
    page = paginate(rows)
    data = att.attendance_year([p.id for p in page.items], year)
    figures = attendance_figures(current_user, year, township_id)
    months_recorded, months_under = figures.months, figures.months - figures.months_met
    shown = {"met": figures.months_met, "below": months_under}.get(months, months_recorded)
    last_month = 12 if year < now.year else now.month

    def active_in(p, m: int) -> bool:
        first = date(year, m, 1)
        return p.started_on <= date(year, m, att.month_days(year, m)) and (p.ended_on is None or p.ended_on >= first)

    return render_template(
        "pairings/attendance_year.html", page=page, data=data, year=year, township_id=township_id,
        townships=township_choices(current_user), norm=current_app.config["ATTENDANCE_NORM_DAYS"],
        months_recorded=months_recorded, months_under=months_under, last_month=last_month, active_in=active_in,
        months=months, shown=shown,
        years=range(now.year, now.year - 6, -1))
