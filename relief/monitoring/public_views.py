"""农户自主申报 without signing in (reached from the QR code on a contact card or a village poster),
its thank-you page with the reference number, and the printable village poster."""
from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError
from sqlalchemy.orm import joinedload

from relief.dates import today
from relief.extensions import db
from relief.fields import db_int
from relief.models import Cadre, Difficulty, Pairing, PairingKind, Township, Village
from relief.scope import get_scoped_or_404, scoped

from . import bp, leads, self_report_limit
from .links import report_qr, report_url
from .schemas import SelfReportIn, field_errors

FIELDS = ("name", "phone", "id_number", "township", "village", "difficulty", "text")
#: up to this many villages the page lists them all (a district: 400); more (a province), only the
#: chosen township's, which the sender picks first
ALL_VILLAGES_UP_TO = 600


def _places(township: str | None) -> tuple[list[Township], dict[int, list[Village]], bool]:
    """The townships, the villages listed by township, and whether the list is of one township only.
    Township and village names are public: the poster and the page show them."""
    townships = db.session.scalars(sa.select(Township).order_by(Township.name)).all()
    villages = sa.select(Village).order_by(Village.name)
    one = db.session.scalar(sa.select(sa.func.count()).select_from(Village)) > ALL_VILLAGES_UP_TO
    if one:
        chosen = db_int(township) if (township or "").isdecimal() and len(township) <= 9 else 0
        villages = villages.where(Village.township_id == chosen)
    listed: dict[int, list[Village]] = {}
    for village in db.session.scalars(villages):
        listed.setdefault(village.township_id, []).append(village)
    return townships, listed, one


def _render(values: dict, errors: dict, status: int = 200):
    townships, villages, one = _places(values.get("township"))
    return render_template("monitoring/report.html", values=values, errors=errors, townships=townships,
                           villages=villages, one_township=one, difficulties=list(Difficulty)), status


@bp.route("/report", methods=["GET", "POST"])
@self_report_limit
def report():
    """The self-report page: no sign-in; answers every sender alike, with a reference number."""
    if request.method == "GET":
        values = {"township": (request.args.get("township") or "").strip()[:9]}
        village = db.session.get(Village, request.args.get("v", type=db_int) or 0)
        if village is not None:
            values = {"township": str(village.township_id), "village": str(village.id)}
        return _render(values, {})
    values = {k: (request.form.get(k) or "").strip() for k in FIELDS}
    data = {k: v or None for k, v in values.items()}
    data["text"] = values["text"]
    if not data["township"] and data["village"] and data["village"].isdecimal():  # the list alone was used
        chosen = db.session.get(Village, db_int(data["village"]) if len(data["village"]) <= 9 else 0)
        data["township"] = str(chosen.township_id) if chosen else None
    try:
        payload = SelfReportIn.model_validate(data)
    except ValidationError as exc:
        return _render(values, field_errors(exc), 422)
    village = leads.find_village(payload.township, payload.village)
    if village is None:
        return _render(values, {"village": _("请从列表中选择您所在的村")}, 422)
    reference = leads.self_report(name=payload.name, village=village, difficulty=payload.difficulty,
                                  text=payload.text, phone=payload.phone, id_number=payload.id_number, today=today())
    db.session.commit()
    session["monitoring_reference"] = reference
    return redirect(url_for("monitoring.report_done"), 303)


@bp.errorhandler(429)
def too_many(_err):
    """A village may share one address: say what else the sender can do."""
    from relief.errors import _messages

    detail = _("从这个网络提交的申报太多了，请过一会儿再试；情况紧急的，请直接联系村干部，或拨打全国防返贫监测帮扶热线 12317。")
    return render_template("errors/error.html", code=429, message=_messages()[429], detail=detail), 429


@bp.get("/report/done")
def report_done():
    reference = session.get("monitoring_reference")
    if not reference:
        return redirect(url_for("monitoring.report"))
    from flask import current_app

    return render_template("monitoring/report_done.html", reference=reference,
                           days=current_app.config["MONITOR_VERIFY_DAYS"])


@bp.get("/poster")
@login_required
def poster():
    """A village's A4 poster with the QR code of the self-report page; without ?village, the list."""
    village_id = request.args.get("village", type=db_int)
    if not village_id:
        villages = db.session.scalars(scoped(sa.select(Village), current_user).options(joinedload(Village.township))
                                      .order_by(Village.township_id, Village.name)).all()
        return render_template("monitoring/poster_pick.html", villages=villages)
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    stationed = db.session.scalar(
        sa.select(Cadre).join(Pairing, Pairing.cadre_id == Cadre.id)
        .where(Pairing.village_id == village.id, Pairing.kind == PairingKind.STATIONED, Pairing.ended_on.is_(None))
        .order_by(Pairing.started_on, Pairing.id).limit(1))
    return render_template("monitoring/poster.html", village=village, stationed=stationed,
                           qr=report_qr(village.id, _("扫码申报困难")), url=report_url(village.id))
