"""便民联系卡: printable contact cards for household pairings, one or a village's batch."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief.models import Cadre, Household, Pairing, PairingKind, Role, Village
from relief.monitoring.links import report_qr
from relief.scope import get_scoped_or_404
from relief.fields import db_int

from . import bp, lookup
from .qr import tel_qr_svg


@bp.get("/<int:pairing_id>/card")
@login_required
def card(pairing_id: int):
    """One household pairing's card: its cadre, a leader or admin of its township, an inspector."""
    pairing = get_scoped_or_404(Pairing, pairing_id, current_user, options=[
        joinedload(Pairing.cadre).joinedload(Cadre.unit),
        joinedload(Pairing.household).joinedload(Household.village).joinedload(Village.township)])
    if pairing.kind is not PairingKind.HOUSEHOLD or pairing.ended_on is not None:
        abort(404)
    return render_template("pairings/cards.html", cards=[pairing], village=None, qr=tel_qr_svg,
                           report_qr=report_qr)


@bp.get("/cards")
@login_required
def cards():
    """A village's cards (leaders, admins, inspectors), or a cadre's own cards."""
    village = None
    village_id = request.args.get("village", type=db_int)
    if village_id:
        village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    elif current_user.role is not Role.CADRE:
        flash(_("请先按村筛选结对，再打印本村的便民联系卡"), "info")
        return redirect(url_for("pairings.index", kind=PairingKind.HOUSEHOLD.value))
    pairings = lookup.card_pairings(current_user, village_id=village_id)
    return render_template("pairings/cards.html", cards=pairings, village=village, qr=tel_qr_svg,
                           report_qr=report_qr)
