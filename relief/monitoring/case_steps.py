"""Who may carry out a case's steps, and the pieces every step is made of: the step expected, its
StepRecord (who, when, what was found, against which deadline), moving on, the reason asked.
Used by cases.py, home_check.py and decisions.py.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import Measure, MonitorCase, MonitorStep, Role, StepRecord, utcnow

from .errors import MonitoringError, NotAllowed
from .routing import username

# -- who may do what ----------------------------------------------------------------------------

def may_act(user, case: MonitorCase) -> bool:
    """Whether `user` may carry out the case's current step (the case is in the user's scope)."""
    step = case.step
    if user.role is Role.ADMIN:
        return step.is_open
    if user.role is Role.LEADER:
        return step in (MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.TOWNSHIP_REVIEW,
                        MonitorStep.MONITORED)
    if user.role is Role.CADRE:
        return (step in (MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.MONITORED)
                and case.holder_cadre_id == user.cadre_id)
    return False


def may_reassign(user, case: MonitorCase) -> bool:
    return user.role in (Role.ADMIN, Role.LEADER) and case.step in (
        MonitorStep.VERIFYING, MonitorStep.PUBLIC_NOTICE, MonitorStep.MONITORED)


def may_update_measure(user, measure: Measure) -> bool:
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role is Role.CADRE and user.cadre_id in (measure.cadre_id, measure.case.holder_cadre_id)


def require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed()


def expect(case: MonitorCase, *steps: MonitorStep) -> None:
    if case.step not in steps:
        raise MonitoringError(_("这一步已经办理过了：案件现在处于“%(step)s”", step=case.step.label))


def record_step(case: MonitorCase, outcome: str, user, done_on: date, findings: dict | None = None,
            note: str | None = None) -> StepRecord:
    record = StepRecord(case=case, step=case.step, outcome=outcome, began_at=case.step_began_at,
                        due_on=case.step_due_on, done_at=utcnow(), done_on=done_on,
                        user_id=getattr(user, "id", None), username=username(user),
                        findings=findings or {}, note=note or None)
    db.session.add(record)
    return record


def advance(case: MonitorCase, step: MonitorStep, due_on: date | None) -> None:
    case.step, case.step_due_on, case.step_began_at = step, due_on, utcnow()


def dismiss_case(case: MonitorCase, reason: str, user) -> None:
    advance(case, MonitorStep.DISMISSED, None)
    case.dismiss_reason = reason
    case.decided_by_id, case.decided_at = getattr(user, "id", None), utcnow()


def reason_given(reason: str | None, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError(fields={field_name: _("请填写不予纳入的理由")})
    if len(reason) > 1000:
        raise MonitoringError(fields={field_name: _("理由最多 1000 字")})
    return reason


def days(setting: str) -> int:
    return current_app.config[setting]
