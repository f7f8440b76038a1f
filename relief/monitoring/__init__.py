"""防返贫动态监测: the income line, risk leads from four sources, cases step by step, 风险消除.

The blueprint is defined here; views.py, case_views.py and public_views.py add its routes.
"""
from flask import Blueprint, current_app

from relief.extensions import limiter

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")

#: self-reports (no sign-in) per address, the page and the JSON API together; only stored reports
#: count, so a sender correcting a typo is not held up
self_report_limit = limiter.shared_limit(
    lambda: current_app.config["MONITOR_SELF_REPORT_LIMIT"], scope="monitoring-self-report", methods=["POST"],
    deduct_when=lambda response: response.status_code in (202, 302, 303))
