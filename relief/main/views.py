"""Home per role and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from relief import reports
from relief.dates import today
from relief.extensions import db
from relief.models import Role

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # the database is unreachable: report, don't raise
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/")
@login_required
def home():
    user = current_user
    if user.role is Role.CADRE:
        households = reports.my_households(user.cadre_id, today())
        return render_template(
            "main/home_cadre.html",
            households=households,
            villages=reports.my_villages(user.cadre_id),
            demands=reports.open_demands(user, limit=20),
            today=today(),
        )
    return render_template("main/home_overview.html", summary=reports.summary(user, today()),
                           demands=reports.open_demands(user, limit=10), today=today())
