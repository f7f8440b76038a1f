"""Home per role and the health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from relief import reports
from relief.cache import CadreScope, cached, cached_html
from relief.dates import today
from relief.extensions import db
from relief.models import Role
from relief.monitoring import figures as monitoring_figures
from relief.cadres.services import cadre_with_unit
from relief.scope import own_township_id, viewer_scope
from relief.templating import render_kept

from . import figures

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    """A load balancer's question, asked every few seconds: one SELECT 1 on a pooled connection,
    without the ORM session and its transaction (what a page would cost)."""
    try:
        conn = db.engine.raw_connection()
        try:
            conn.cursor().execute("SELECT 1")
        finally:
            conn.close()
    except Exception:  # the database is unreachable: report, don't raise
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/")
@login_required
def home():
    user = current_user._get_current_object()
    if user.role is Role.CADRE:
        def body() -> str:
            return render_template("main/_home_cadre.html", cadre=cadre_with_unit(user.cadre_id),
                                   households=reports.my_households(user.cadre_id, today()),
                                   villages=figures.my_villages(user.cadre_id),
                                   demands=figures.open_demands(user, limit=20),
                                   demand_count=figures.open_demand_count(user), today=today(),
                                   monitor_work=monitoring_figures.cadre_work(user.cadre_id, limit=20),
                                   monitor_counts=monitoring_figures.cadre_counts(user.cadre_id, today()))

        return render_kept("main/home_cadre.html", cached_html("home", CadreScope(user.cadre_id), body))
    township = own_township_id(user)
    summary = cached("summary", township, (viewer_scope(user), today()), lambda: figures.summary(user, today()))
    return render_template("main/home_overview.html", summary=summary,
                           demands=figures.open_demands(user, limit=10), today=today())
