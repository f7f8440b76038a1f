"""The audit trail page for the admin and the inspector."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from relief import audit
from relief.access import roles_required
from relief.fields import db_int
from relief.models import Role
from relief.paging import paginate

from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _query(args) -> tuple[services.EventQuery, dict[str, str]]:
    """The filters asked for; one that cannot be read is left out, and says so next to its field."""
    q, problems = services.EventQuery(), {}
    q.username = args["user"].strip() if args.get("user") else None
    q.action = args.get("action") if args.get("action") in services.ACTIONS else None
    q.entity = args["entity"].strip() if args.get("entity") else None
    if args.get("entity_id", "").strip():
        try:
            q.entity_id = db_int(args["entity_id"].strip())
        except ValueError:
            problems["entity_id"] = _("记录编号应为数字，此条件未使用")
    for key, attr in (("from", "first"), ("to", "last")):
        if args.get(key, "").strip():
            try:
                setattr(q, attr, datetime.strptime(args[key].strip(), "%Y-%m-%d").date())
            except ValueError:
                problems[key] = _("日期应为 年-月-日，如 2026-01-31，此条件未使用")
    if q.first and q.last and q.first > q.last:
        problems["to"] = _("截止日期不能早于起始日期")
    return q, problems


@bp.get("/")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def index():
    q, problems = _query(request.args)
    return render_template("audit/index.html", page=paginate(services.events(q)), actions=services.ACTIONS,
                           entities=services.entities(), args=request.args, problems=problems,
                           action_label=audit.action_label, entity_label=audit.entity_label,
                           shown_changes=audit.shown_changes)
