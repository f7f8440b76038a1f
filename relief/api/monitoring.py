"""防返贫动态监测 in the JSON API (CONTRACT.md): the leads of a year, the self-report, 风险消除.

`register(bp, spec, error)` adds the routes to the API blueprint (views.py calls it), so they
appear in /api/v1/openapi.json; this module imports nothing from views.py.
"""
from __future__ import annotations

from flask import jsonify, make_response, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError
from spectree import Response

from relief.dates import today
from relief.extensions import db
from relief.models import MonitorCase, Role
from relief.monitoring import clearing, figures, leads, self_report_limit
from relief.monitoring.errors import ClearRefused, MonitoringError, NotAllowed
from relief.monitoring.schemas import (
    ClearIn,
    ClearOut,
    ClearRefusedOut,
    LeadOut,
    LeadsQuery,
    SelfReportIn,
    SelfReportOut,
    field_errors,
)
from relief.scope import get_scoped_or_404

from .schemas import ErrorOut, api_field_errors

#: endpoints a browser may call without the page's CSRF token: no sign-in, nothing of the caller's
CSRF_FREE = ("api.monitoring_self_report",)
LEAD_READERS = (Role.ADMIN, Role.LEADER, Role.INSPECTOR)


def register(bp, spec, error) -> None:
    @bp.get("/monitoring/leads")
    @login_required
    @spec.validate(query=LeadsQuery, resp=Response(HTTP_200=list[LeadOut], HTTP_401=ErrorOut, HTTP_403=ErrorOut,
                                                   HTTP_422=ErrorOut), skip_validation=True, tags=["monitoring"])
    def monitoring_leads():
        """The leads of a year the caller may see (admin, leader, inspector), each with its step and
        due date; case_id is null until the lead is taken up."""
        if current_user.role not in LEAD_READERS:
            return error(403)
        try:
            query = LeadsQuery.model_validate(request.args.to_dict())
        except ValidationError as exc:
            return error(422, fields=api_field_errors(exc))
        rows = figures.lead_rows(current_user, query.year or today().year)
        return jsonify([LeadOut(**row).model_dump(mode="json") for row in rows])

    @bp.post("/monitoring/self-report")
    @self_report_limit
    @spec.validate(json=SelfReportIn, resp=Response(HTTP_202=SelfReportOut, HTTP_422=ErrorOut, HTTP_429=ErrorOut),
                   security={}, skip_validation=True, tags=["monitoring"])
    def monitoring_self_report():
        """农户自主申报 without signing in (throttled per address). The answer is the same whether or
        not the person is on a roster: 202 with a reference number, and nothing else."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return error(422, _("请求体应为 JSON 对象"), fields={"__all__": _("请求体应为 JSON 对象")})
        try:
            payload = SelfReportIn.model_validate(data)
        except ValidationError as exc:
            return error(422, fields=field_errors(exc))
        village = leads.find_village(payload.township, payload.village)
        if village is None:
            return error(422, fields={"village": _("没有这个乡镇和村：请按乡镇、村的名称填写")})
        reference = leads.self_report(name=payload.name, village=village, difficulty=payload.difficulty,
                                      text=payload.text, phone=payload.phone, id_number=payload.id_number,
                                      today=today())
        db.session.commit()
        return make_response(jsonify({"reference": reference}), 202)

    @bp.post("/monitoring/cases/<int:case_id>/clear")
    @login_required
    @spec.validate(json=ClearIn, resp=Response(HTTP_200=ClearOut, HTTP_401=ErrorOut, HTTP_403=ErrorOut,
                                               HTTP_404=ErrorOut, HTTP_422=ClearRefusedOut),
                   skip_validation=True, tags=["monitoring"])
    def monitoring_clear(case_id: int):
        """风险消除 (the district admin): 200 when every rule holds, else 422 with one message per
        unmet condition."""
        case = get_scoped_or_404(MonitorCase, case_id, current_user)
        body = request.get_json(silent=True) if request.data else {}
        note = body.get("note", "") if isinstance(body, dict) else ""
        try:
            clearing.clear(case, current_user, today(), note if isinstance(note, str) else "")
        except NotAllowed:
            return error(403, _("只有区扶贫办管理员可以审定风险消除"))
        except ClearRefused as err:
            db.session.rollback()
            return error(422, _("风险消除的条件还不满足"),
                         problems=[{"rule": p.rule, "message": p.message} for p in err.problems],
                         fields={p.rule: p.message for p in err.problems})
        except MonitoringError as err:
            db.session.rollback()
            return error(422, str(err), fields=err.fields)
        cleared_on = case.cleared_on
        db.session.commit()
        return jsonify({"case_id": case_id, "step": "cleared", "cleared_on": cleared_on.isoformat()})
