"""The audit trail page for the admin and the inspector."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from relief import audit
from relief.access import roles_required
from relief.dates import CST
from relief.paging import paginate
from relief.extensions import db
from relief.models import AuditEvent, Role
from relief.fields import db_int

bp = Blueprint("audit", __name__, url_prefix="/audit")

ACTIONS = ("create", "update", "delete", "reveal", "export", "import", "login", "token", "revoke", "draw")


def _utc_bound(text: str, end: bool = False):
    """A China date from the filter as a naive UTC bound; ValueError when it is not a date."""
    day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    local = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=CST)
    return local.astimezone(UTC).replace(tzinfo=None)


@bp.get("/")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def index():
    args = request.args
    stmt = sa.select(AuditEvent)
    if args.get("user"):
        stmt = stmt.where(AuditEvent.username == args["user"].strip())
    if args.get("action") in ACTIONS:
        stmt = stmt.where(AuditEvent.action == args["action"])
    if args.get("entity"):
        stmt = stmt.where(AuditEvent.entity == args["entity"].strip())
    problems = {}  # a filter that cannot be read is left out, and says so next to its field
    if args.get("entity_id", "").strip():
        try:
            stmt = stmt.where(AuditEvent.entity_id == db_int(args["entity_id"].strip()))
        except ValueError:
            problems["entity_id"] = _("记录编号应为数字，此条件未使用")
    bounds = {}
    for key in ("from", "to"):
        if args.get(key, "").strip():
            try:
                bounds[key] = _utc_bound(args[key], end=key == "to")
            except ValueError:
                problems[key] = _("日期应为 年-月-日，如 2026-01-31，此条件未使用")
    if "from" in bounds:
        stmt = stmt.where(AuditEvent.at >= bounds["from"])
    if "to" in bounds:
        stmt = stmt.where(AuditEvent.at < bounds["to"])
    if "from" in bounds and "to" in bounds and bounds["from"] >= bounds["to"]:
        problems["to"] = _("截止日期不能早于起始日期")
    page = paginate(stmt.order_by(AuditEvent.id.desc()))
    entities = db.session.scalars(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).all()
    return render_template("audit/index.html", page=page, actions=ACTIONS, entities=entities, args=args,
                           problems=problems, action_label=audit.action_label, entity_label=audit.entity_label,
                           shown_changes=audit.shown_changes)
