"""风险线索: where leads come from (a self-report, a visit, a department's list, relief's own rules),
whose queue each goes to, and dismissing or reassigning one.

One lead per household, source, cause and year: a lead dismissed with a reason keeps its row,
so the same cause does not come back that year. Each self-report is kept as sent. A lead of a
household with an open case joins that case at once; any other waits in the queue (`reported`)
until it is taken up (cases.take_up), which for a household cleared before opens a new case.
Functions flush; the caller commits once.

This module handles a lead and says what it is about; the rest lives beside it and is named here
too, so `leads.scan(...)` and the like read as before: routing.py (whose queue, the deadline),
rules.py (the automatic rules), sources.py (visits, departments' lists, self-reports).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from relief.extensions import db
from relief.models import Department, LeadSource, LeadStatus, RiskLead, RiskType, Role

from .errors import MonitoringError, NotAllowed
from .routing import (  # noqa: F401  (the lead's routing, named here for callers)
    OPEN_STEPS,
    assignee_name,
    cadre_choices,
    check_cadre,
    household_cadre_ids,
    household_cadres,
    new_lead,
    open_cases,
    route,
    stationed_cadres,
    username,
    verify_due,
)
from .rules import ScanResult, scan  # noqa: F401
from .sources import (  # noqa: F401
    Listed,
    ListOutcome,
    department_leads,
    find_village,
    lead_from_visit,
    reference_number,
    self_report,
)

# -- handling a lead --------------------------------------------------------------------------

def may_handle(user, lead: RiskLead) -> bool:
    """Who may take up a lead: its cadre or a cadre paired with the household, the leader, the admin."""
    if user.role in (Role.ADMIN, Role.LEADER):
        return True
    return user.role is Role.CADRE and user.cadre_id is not None and (
        lead.assignee_cadre_id == user.cadre_id or (lead.household_id is not None and user.cadre_id in
                                                   household_cadre_ids(lead.household_id)))


def dismiss(lead: RiskLead, reason: str, user, today: date) -> None:
    """Set a lead aside before any home check (a duplicate, a data error): the leader or the admin,
    with a reason. It stays on record, and the same cause does not come back this year."""
    if user.role not in (Role.ADMIN, Role.LEADER):
        raise NotAllowed()
    if lead.status is not LeadStatus.OPEN:
        raise MonitoringError(_("这条线索已经受理或排除，不能再排除"))
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError(fields={"reason": _("请填写排除的理由")})
    if len(reason) > 500:
        raise MonitoringError(fields={"reason": _("理由最多 500 字")})
    lead.status, lead.dismiss_reason = LeadStatus.DISMISSED, reason
    lead.dismissed_by_id, lead.dismissed_on = user.id, today
    db.session.flush()


def assign(lead: RiskLead, cadre_id, user) -> None:
    """Put a lead in another cadre's queue (the leader or the admin)."""
    if user.role not in (Role.ADMIN, Role.LEADER):
        raise NotAllowed()
    if lead.status is not LeadStatus.OPEN:
        raise MonitoringError(_("这条线索已经受理或排除"))
    lead.assignee_cadre_id = check_cadre(cadre_id, lead.township_id).id
    db.session.flush()


# -- what a lead says -------------------------------------------------------------------------

def cause_label(lead: RiskLead) -> str:
    """The lead's cause in words: the department, the risk type, the difficulty, or the rule."""
    from relief.models import Difficulty

    enum_cls = {LeadSource.DEPARTMENT: Department, LeadSource.VISIT: RiskType,
                LeadSource.SELF_REPORT: Difficulty}.get(lead.source)
    if enum_cls is None:
        return lead.source.label
    member = next((m for m in enum_cls if m.value == lead.cause), None)
    return member.label if member else lead.cause


def evidence_lines(lead: RiskLead) -> list[str]:
    """The evidence in sentences, in the reader's language."""
    from relief.models import CHECKS as checks

    e = lead.evidence or {}
    out = []
    if lead.source is LeadSource.INCOME_BELOW_LINE:
        out.append(_("%(year)s年人均纯收入 %(income)s 元，低于监测范围 %(line)s 元", year=e.get("year"),
                     income=f"{e.get('income_yuan', 0):,}", line=f"{e.get('line_yuan', 0):,}"))
        if e.get("line_year") and e.get("line_year") != e.get("year"):
            out.append(_("（%(year)s年未设定监测范围，沿用%(from_year)s年的）", year=e.get("year"),
                         from_year=e.get("line_year")))
    elif lead.source is LeadSource.INCOME_DROP:
        out.append(_("%(year)s年人均纯收入 %(income)s 元，比上一年的 %(previous)s 元下降 %(percent)s%%",
                     year=e.get("year"), income=f"{e.get('income_yuan', 0):,}",
                     previous=f"{e.get('previous_yuan', 0):,}", percent=e.get("drop_percent")))
    elif lead.source is LeadSource.GUARANTEE_FAILED:
        names = dict(checks)
        failed = "、".join(_(names[c]) for c in e.get("checks", []) if c in names)
        out.append(_("两不愁三保障核查为“否”：%(checks)s", checks=failed))
        if e.get("checked_on"):
            out.append(_("核查日期：%(d)s", d=e["checked_on"]))
    elif lead.source is LeadSource.DEPARTMENT:
        out.append(_("%(department)s提供的名单（%(file)s 第%(row)s行）", department=cause_label(lead),
                     file=e.get("file", ""), row=e.get("row", "")))
        if e.get("note"):
            out.append(_("说明：%(note)s", note=e["note"]))
        if e.get("listed_name"):
            out.append(_("名单上的姓名是“%(name)s”，与户主姓名不同", name=e["listed_name"]))
    elif lead.source is LeadSource.VISIT:
        out.append(_("%(d)s走访时发现：%(risk)s", d=e.get("visited_on", ""), risk=cause_label(lead)))
        if e.get("note"):
            out.append(e["note"])
    elif lead.source is LeadSource.SELF_REPORT:
        out.append(_("申报人：%(name)s，%(contact)s", name=lead.reported_name or "",
                     contact=lead.reported_contact or ""))
        out.append(_("困难：%(d)s", d=cause_label(lead)))
        if e.get("text"):
            out.append(e["text"])
        if lead.household_id is None:
            out.append(_("未能在帮扶户名册中找到此人，请入户核实后登记"))
    return out
