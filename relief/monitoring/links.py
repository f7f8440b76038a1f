"""The public self-report page's address and its QR code, for contact cards and village posters."""
from __future__ import annotations

from flask import current_app, request, url_for
from markupsafe import Markup

from relief.pairings.qr import qr_svg


def report_url(village_id: int | None = None) -> str:
    """The full address of the self-report page, with the village filled in when given.

    PUBLIC_URL (the address households reach the server at) wins over the address this page was
    opened at, which may be an office-only name."""
    path = url_for("monitoring.report", v=village_id) if village_id else url_for("monitoring.report")
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    if current_app.config.get("PUBLIC_URL"):
        path = path.removeprefix(request.script_root)
    return base + path


def report_qr(village_id: int | None = None, title: str = "") -> Markup:
    return qr_svg(report_url(village_id), title, svgclass="qr-report-code")
