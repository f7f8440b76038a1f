"""A case's page: its steps with their due dates, the form of the current step, the measures,
and the 风险消除 check. Views parse → call cases/clearing → render; the view commits once."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from relief.access import writers_only
from relief.dates import today
from relief.extensions import db
from relief.fields import db_int
from relief.models import (
    CHECKS,
    Household,
    Measure,
    MeasureKind,
    MonitorCase,
    MonitorCategory,
    MonitorStep,
    RiskLead,
    RiskType,
    Role,
)
from relief.scope import can_see, get_scoped_or_404
from relief.workdays import is_estimated

from . import bp, cases, clearing, forms, leads
from .errors import ClearRefused, MonitoringError, NotAllowed


def _case(case_id: int) -> MonitorCase:
    return get_scoped_or_404(MonitorCase, case_id, current_user, options=[
        joinedload(MonitorCase.household).selectinload(Household.incomes), joinedload(MonitorCase.village),
        joinedload(MonitorCase.holder), selectinload(MonitorCase.records),
        selectinload(MonitorCase.measures).joinedload(Measure.cadre),
        selectinload(MonitorCase.leads).joinedload(RiskLead.assignee)])


def render_case(case: MonitorCase, errors: dict | None = None, status: int = 200, form: str | None = None,
                unmet: list | None = None):
    user = current_user._get_current_object()
    now = today()
    may_act = user.can_write and cases.may_act(user, case)
    manager = user.role in (Role.ADMIN, Role.LEADER)
    check = clearing.problems(case, now) if case.step is MonitorStep.MONITORED else None
    verified = next((r for r in reversed(case.records) if r.step is MonitorStep.VERIFYING), None)
    return render_template(
        "monitoring/case.html", case=case, errors=errors or {}, form_name=form, today=now, may_act=may_act,
        may_reassign=user.can_write and cases.may_reassign(user, case),
        cadres=leads.cadre_choices(case.township_id) if (may_act or manager) else [],
        checks=CHECKS, categories=list(MonitorCategory), risk_types=list(RiskType), measure_kinds=list(MeasureKind),
        clear_problems=unmet if unmet is not None else check, clear_after=clearing.clear_after(case),
        may_clear=user.role is Role.ADMIN, may_measure=lambda m: user.can_write and cases.may_update_measure(user, m),
        estimated=case.step_due_on is not None and is_estimated(case.step_due_on), verified=verified,
        lead_evidence={lead.id: leads.evidence_lines(lead) for lead in case.leads}, cause_label=leads.cause_label,
        values=request.form if request.method == "POST" else {},
        household_link=case.household_id is not None and can_see(Household, case.household_id, user)), status


@bp.get("/cases/<int:case_id>")
@login_required
def case(case_id: int):
    return render_case(_case(case_id))


def _step(case_id: int, form_name: str, parse, action, done: str, allowed=cases.may_act):
    item = _case(case_id)
    if not allowed(current_user, item):
        abort(403)
    value, problems = parse(request.form) if parse else (None, {})
    if problems:
        return render_case(item, problems, 422, form_name)
    try:
        action(item, value)
    except MonitoringError as err:
        db.session.rollback()
        return render_case(_case(case_id), err.fields or {"__all__": str(err)}, 422, form_name)
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("monitoring.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/home-check")
@writers_only
def home_check(case_id: int):
    return _step(case_id, "home_check", forms.parse_home_check,
                 lambda c, hc: cases.record_home_check(c, hc, current_user, today()), _("入户核实已记录"))


@bp.post("/cases/<int:case_id>/notice")
@writers_only
def notice(case_id: int):
    return _step(case_id, "notice", forms.parse_notice,
                 lambda c, n: cases.record_notice(c, n, current_user, today()), _("民主评议与公示已记录"))


@bp.post("/cases/<int:case_id>/township-review")
@writers_only
def township_review(case_id: int):
    approve = request.form.get("approve") == "yes"
    return _step(case_id, "township_review", None,
                 lambda c, _v: cases.township_review(c, approve, request.form.get("reason"), current_user, today()),
                 _("乡镇审核已记录"))


@bp.post("/cases/<int:case_id>/decision")
@writers_only
def decision(case_id: int):
    return _step(case_id, "decision", forms.parse_decision,
                 lambda c, d: cases.decide(c, d, current_user, today()), _("区审定已记录"))


@bp.post("/cases/<int:case_id>/measures")
@writers_only
def add_measure(case_id: int):
    return _step(case_id, "measure", forms.parse_measure,
                 lambda c, m: cases.add_measure(c, m, current_user, today()), _("帮扶措施已添加"))


@bp.post("/cases/<int:case_id>/assign")
@writers_only
def assign_case(case_id: int):
    cadre_id = request.form.get("cadre_id", type=db_int)
    return _step(case_id, "assign", None, lambda c, _v: cases.reassign(c, cadre_id, current_user, today()),
                 _("已交给所选干部"), allowed=cases.may_reassign)


@bp.post("/measures/<int:measure_id>/done")
@writers_only
def measure_done(measure_id: int):
    measure = get_scoped_or_404(Measure, measure_id, current_user)
    case_id = measure.case_id
    _value, problems = forms.parse_measure_done(request.form)
    if problems:
        return render_case(_case(case_id), problems, 422, f"done-{measure_id}")
    try:
        cases.measure_done(measure, _value, current_user, today())
    except MonitoringError as err:
        db.session.rollback()
        return render_case(_case(case_id), {f"done-{measure_id}": str(err)}, 422, f"done-{measure_id}")
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(_("已登记为落实"), "success")
    return redirect(url_for("monitoring.case", case_id=case_id) + f"#measure-{measure_id}")


@bp.post("/cases/<int:case_id>/clear")
@writers_only
def clear(case_id: int):
    """风险消除: refused with every unmet rule named."""
    item = _case(case_id)
    try:
        clearing.clear(item, current_user, today(), request.form.get("note", ""))
    except ClearRefused as err:
        db.session.rollback()
        return render_case(_case(case_id), {"clear": _("不能消除风险：还有 %(n)d 项条件不满足", n=len(err.problems))},
                           422, "clear", unmet=err.problems)
    except MonitoringError as err:
        db.session.rollback()
        return render_case(_case(case_id), err.fields or {"clear": str(err)}, 422, "clear")
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(_("已消除风险；这一户仍在记录中，出现新的风险线索会重新核实"), "success")
    return redirect(url_for("monitoring.case", case_id=case_id))
