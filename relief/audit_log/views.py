"""The audit trail page for the admin and the inspector."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from relief.access import roles_required
from relief.dates import CST
from relief.paging import paginate
from relief.extensions import db
from relief.models import AuditEvent, Role
from relief.fields import db_int

bp = Blueprint("audit", __name__, url_prefix="/audit")

ACTIONS = ("create", "update", "delete", "reveal", "export", "import", "login", "token")


def _utc_bound(text: str | None, end: bool = False):
    """A China date from the filter as a naive UTC bound."""
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
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
    if args.get("entity_id", type=db_int):
        stmt = stmt.where(AuditEvent.entity_id == args.get("entity_id", type=db_int))
    if (start := _utc_bound(args.get("from"))) is not None:
        stmt = stmt.where(AuditEvent.at >= start)
    if (end := _utc_bound(args.get("to"), end=True)) is not None:
        stmt = stmt.where(AuditEvent.at < end)
    page = paginate(stmt.order_by(AuditEvent.id.desc()))
    entities = db.session.scalars(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).all()
    return render_template("audit/index.html", page=page, actions=ACTIONS, entities=entities, args=args)
