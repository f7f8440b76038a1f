"""The monitoring queue, a lead's page and its actions, the income line, a department's list.

The case page is in case_views.py, the public self-report page and the poster in public_views.py.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.access import roles_required, writers_only
from relief.dates import today
from relief.extensions import db
from relief.fields import db_int
from relief.models import (
    Department,
    Household,
    LeadSource,
    MonitorCategory,
    MonitorStep,
    RiskLead,
    Role,
    Township,
)
from relief.paging import paginate
from relief.scope import can_see, get_scoped_or_404, scoped

from . import bp, case_views, cases, figures, leads, lines, public_views, queue  # noqa: F401  (their routes join bp)
from .errors import MonitoringError, NotAllowed
from .risk_list import FileProblem, import_risk_list

#: items of each kind on the "my work" tab; the rest are a link away
TODO_SHOWN = 30


@bp.get("/")
@login_required
def index():
    """The queue: what the user must do (overdue first), and every lead and case in scope."""
    f = queue.parse(request.args)
    now = today()
    user = current_user._get_current_object()
    todo_leads = todo_cases = page = None
    totals = {}
    if f.show == "todo":
        stmts = {"leads": queue.leads(user, f, now), "cases": queue.cases(user, f, now)}
        todo_leads = db.session.scalars(stmts["leads"].limit(TODO_SHOWN)).unique().all()
        todo_cases = db.session.scalars(stmts["cases"].limit(TODO_SHOWN)).unique().all()
        totals = {key: queue.count(stmt) if len(shown) == TODO_SHOWN else len(shown)
                  for (key, stmt), shown in zip(stmts.items(), (todo_leads, todo_cases), strict=True)}
    elif f.show == "leads":
        page = paginate(queue.leads(user, f, now))
    else:
        page = paginate(queue.cases(user, f, now))
    line = lines.line_for(now.year)
    villages = db.session.execute(queue.villages_with_items(user)).all()
    return render_template(
        "monitoring/index.html", f=f, page=page, todo_leads=todo_leads, todo_cases=todo_cases, today=now,
        totals=totals, shown=TODO_SHOWN,
        overdue=figures.overdue_steps(user, now, f.township_id), line=line, villages=villages,
        counts=figures.cadre_counts(user.cadre_id, now) if user.role is Role.CADRE else None,
        sources=list(LeadSource), steps=list(MonitorStep), categories=list(MonitorCategory),
        townships=db.session.scalars(scoped(sa.select(Township), user).order_by(Township.name)).all()
        if user.role in (Role.ADMIN, Role.INSPECTOR) else [],
        cause_label=leads.cause_label)


def _lead(lead_id: int) -> RiskLead:
    return get_scoped_or_404(RiskLead, lead_id, current_user, options=[
        joinedload(RiskLead.household), joinedload(RiskLead.village), joinedload(RiskLead.assignee),
        joinedload(RiskLead.case)])


def _render_lead(lead: RiskLead, errors: dict | None = None, status: int = 200):
    user = current_user._get_current_object()
    earlier = []
    if lead.household_id:
        earlier = figures.household_history(user, lead.household_id)
    return render_template("monitoring/lead.html", lead=lead, errors=errors or {}, today=today(),
                           evidence=leads.evidence_lines(lead), cause=leads.cause_label(lead),
                           may_handle=user.can_write and leads.may_handle(user, lead),
                           may_manage=user.role in (Role.ADMIN, Role.LEADER),
                           cadres=leads.cadre_choices(lead.township_id) if user.role in (Role.ADMIN, Role.LEADER)
                           else [], earlier=earlier,
                           household_link=lead.household_id is not None and can_see(Household, lead.household_id, user)
                           ), status


@bp.get("/leads/<int:lead_id>")
@login_required
def lead(lead_id: int):
    return _render_lead(_lead(lead_id))


def _lead_action(lead_id: int, action, done: str, field: str = "__all__"):
    item = _lead(lead_id)
    try:
        result = action(item)
    except MonitoringError as err:
        db.session.rollback()
        return _render_lead(_lead(lead_id), err.fields or {field: str(err)}, 422)
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(done, "success")
    return result or redirect(url_for("monitoring.lead", lead_id=lead_id))


@bp.post("/leads/<int:lead_id>/take")
@writers_only
def take(lead_id: int):
    """受理: open (or join) the household's case at 入户核实."""
    def action(item):
        case = cases.take_up(item, current_user, today())
        return redirect(url_for("monitoring.case", case_id=case.id))
    return _lead_action(lead_id, action, _("已受理，请按期入户核实"))


@bp.post("/leads/<int:lead_id>/dismiss")
@writers_only
def dismiss(lead_id: int):
    return _lead_action(lead_id, lambda item: leads.dismiss(item, request.form.get("reason"), current_user, today()),
                        _("线索已排除，理由已记录"), "reason")


@bp.post("/leads/<int:lead_id>/assign")
@writers_only
def assign(lead_id: int):
    return _lead_action(lead_id, lambda item: leads.assign(item, request.form.get("cadre_id", type=db_int),
                                                             current_user), _("已交给所选干部"), "cadre_id")


# -- the income line ------------------------------------------------------------------------

@bp.route("/lines", methods=["GET", "POST"])
@login_required
def line_page():
    """监测范围 by year: the admin sets a year's line; everyone sees which line applies to which year."""
    now, errors, status = today(), {}, 200
    if request.method == "POST":
        if current_user.role is not Role.ADMIN:
            abort(403)
        year, yuan = _number(request.form.get("year")), _number(request.form.get("yuan"))
        try:
            _line, changed = lines.set_line(year, yuan, current_user)
            result = leads.scan(now, user=current_user) if changed else None
            db.session.commit()
        except MonitoringError as err:
            db.session.rollback()
            errors, status = err.fields, 422
        else:
            flash(_("已设定%(year)d年的监测范围：%(yuan)s 元/人·年", year=year, yuan=f"{yuan:,}"), "success")
            if result is not None and result.total:
                flash(_("按新的监测范围新增风险线索 %(n)d 条", n=result.total), "info")
            return redirect(url_for("monitoring.line_page"))
    return render_template("monitoring/lines.html", rows=lines.lines_for_years(now.year - 5, now.year + 1),
                           current=lines.line_for(now.year), errors=errors, today=now,
                           may_edit=current_user.role is Role.ADMIN), status


def _number(raw) -> int | None:
    raw = (raw or "").strip().replace(",", "").replace("，", "").removesuffix("元")
    return int(raw) if raw.isdecimal() and len(raw) <= 9 else None


# -- a department's list, the rules now, the households already 监测户 --------------------------

@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_list():
    """部门筛查预警: upload a department's list (身份证号, 姓名, 说明); leads for people on the roster."""
    outcome, errors, status = None, [], 200
    if request.method == "POST":
        upload = request.files.get("file")
        department = Department.from_label(request.form.get("source", ""))
        if department is None:
            errors, status = [_("请选择提供名单的部门")], 422
        elif upload is None or not upload.filename:
            errors, status = [_("请选择要导入的文件")], 422
        else:
            data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
            if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
                abort(413)
            try:
                outcome = import_risk_list(data, Path(upload.filename).name, department, today(), current_user)
            except FileProblem as err:
                db.session.rollback()
                errors, status = [str(err)], 422
            else:
                if outcome.errors:
                    db.session.rollback()
                    errors, status = [str(e) for e in outcome.errors], 422
                else:
                    db.session.commit()
    return render_template("monitoring/import.html", outcome=outcome, errors=errors,
                           departments=list(Department)), status


@bp.post("/scan")
@roles_required(Role.ADMIN)
def scan():
    """Run the automatic rules now (they also run daily and after every change)."""
    result = leads.scan(today(), user=current_user)
    db.session.commit()
    flash(_("已检查：新增风险线索 %(n)d 条", n=result.total), "success")
    return redirect(url_for("monitoring.index", show="leads"))


@bp.post("/adopt")
@roles_required(Role.ADMIN)
def adopt():
    """Open monitored cases for the 监测户 imported before relief kept cases."""
    n = cases.adopt_monitored(current_user, today())
    db.session.commit()
    flash(_("已为 %(n)d 户已有的监测户建立监测档案", n=n), "success")
    return redirect(url_for("monitoring.index", show="monitored"))
