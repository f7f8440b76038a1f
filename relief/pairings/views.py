"""Pairings management: the list, create, a pairing's page with end and transfer, the norms page."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from relief.access import roles_required
from relief.paging import paginate
from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Village
from relief.filters import township_choices
from relief.scope import get_scoped_or_404
from relief.fields import db_int

from . import READERS, WRITERS, bp, lookup, services
from .violations import TEAM_SIZE, households_without_cadre, village_norms
from .forms import EndForm, PairingForm, TransferForm

def _filters() -> lookup.PairingFilters:
    state = request.args.get("state", "active")
    return lookup.PairingFilters(
        kind=PairingKind.from_label(request.args.get("kind", "")),
        township_id=lookup.chosen_township(current_user, request.args),
        village_id=request.args.get("village", type=db_int),
        cadre_id=request.args.get("cadre", type=db_int),
        q=(request.args.get("q") or "").strip()[:32],
        state=state if state in ("active", "ended", "all") else "active")


@bp.get("/")
@roles_required(*READERS)
def index():
    filters = _filters()
    page = paginate(lookup.pairing_list(current_user, filters))
    return render_template("pairings/index.html", page=page, filters=filters, kinds=list(PairingKind),
                           townships=township_choices(current_user), villages=lookup.villages_of(current_user, filters.township_id))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new():
    """Choose the kind, find a cadre and a household or village, save. "查找" re-renders, keeping choices."""
    form = PairingForm()
    if request.method == "GET":
        kind = PairingKind.from_label(request.args.get("kind", "")) or PairingKind.HOUSEHOLD
        form.kind.data = kind.value
        form.cadre_id.data = request.args.get("cadre_id", type=db_int)
        form.household_id.data = request.args.get("household_id", type=db_int)
        form.village_id.data = request.args.get("village_id", type=db_int)
    kind = form.pairing_kind
    error = None
    if request.method == "POST" and not _searching():
        if form.validate_on_submit():
            pairing, error = _create(form, kind)
            if pairing is not None:
                flash(_("已建立结对：%(cadre)s · %(kind)s", cadre=pairing.cadre.name, kind=kind.label), "success")
                return redirect(url_for("pairings.show", pairing_id=pairing.id))
        else:
            error = _("请按提示修改后再保存")
    return render_template("pairings/new.html", form=form, kind=kind, kinds=list(PairingKind), error=error,
                           stationed_kinds=PairingKind.stationed_kinds(), **_choices(form, kind)), 422 if error else 200


def _searching() -> bool:
    return request.method == "POST" and request.form.get("action") == "search"


def _create(form: PairingForm, kind: PairingKind) -> tuple[Pairing | None, str | None]:
    cadre = lookup.pairable_cadre(current_user, form.cadre_id.data)
    household = village = None
    if kind is PairingKind.HOUSEHOLD:
        household = get_scoped_or_404(Household, form.household_id.data, current_user)
    else:
        village = get_scoped_or_404(Village, form.village_id.data, current_user)
    if cadre is None:
        form.cadre_id.errors.append(_("找不到该干部，请重新查找"))
        return None, _("请按提示修改后再保存")
    try:
        pairing = services.create_pairing(current_user, kind=kind, cadre=cadre, household=household,
                                          village=village, role=form.station_role, started_on=form.started_on.data)
        db.session.commit()
    except services.PairingError as err:
        db.session.rollback()
        return None, str(err)
    except LookupError:
        db.session.rollback()
        abort(404)
    return pairing, None


def _query(name: str) -> str:
    return (request.values.get(name) or "").strip()[:32]


def _choices(form: PairingForm, kind: PairingKind) -> dict:
    """Search results for the form's radio lists, with the current choice kept at the top."""
    cadre_q, target_q = _query("cadre_q"), _query("target_q")
    cadres = lookup.find_cadres(current_user, cadre_q)
    chosen = lookup.cadre_with_load(current_user, form.cadre_id.data)
    if chosen and chosen[0].id not in {c.id for c, _n in cadres}:
        cadres.insert(0, chosen)
    if kind is PairingKind.HOUSEHOLD:
        targets = lookup.find_households(current_user, target_q)
        picked = lookup.chosen_household(current_user, form.household_id.data)
    else:
        targets = lookup.find_villages(current_user, target_q)
        picked = lookup.chosen_village(current_user, form.village_id.data)
    if picked and picked.id not in {t.id for t in targets}:
        targets.insert(0, picked)
    return {"cadre_q": cadre_q, "target_q": target_q, "cadres": cadres, "targets": targets,
            "limit": current_app.config["MAX_HOUSEHOLDS_PER_CADRE"]}


def _load(pairing_id: int) -> Pairing:
    return get_scoped_or_404(Pairing, pairing_id, current_user, options=[
        joinedload(Pairing.cadre).joinedload(Cadre.unit), joinedload(Pairing.household),
        joinedload(Pairing.village).joinedload(Village.township)])


def _render_show(pairing: Pairing, end_form=None, transfer_form=None, error=None, status=200):
    history = lookup.history(current_user, pairing)
    t_q = _query("t_q")
    transfer_form = transfer_form or TransferForm(prefix="t")
    candidates = [(c, n) for c, n in lookup.find_cadres(current_user, t_q) if c.id != pairing.cadre_id]
    chosen = lookup.cadre_with_load(current_user, transfer_form.cadre_id.data)
    if chosen and chosen[0].id not in {c.id for c, _n in candidates}:
        candidates.insert(0, chosen)
    return render_template("pairings/show.html", p=pairing, history=history, end_form=end_form or EndForm(),
                           transfer_form=transfer_form, candidates=candidates, t_q=t_q, error=error,
                           may_write=current_user.role in WRITERS,
                           limit=current_app.config["MAX_HOUSEHOLDS_PER_CADRE"]), status


@bp.get("/<int:pairing_id>")
@roles_required(*READERS)
def show(pairing_id: int):
    return _render_show(_load(pairing_id))


@bp.post("/<int:pairing_id>/end")
@roles_required(*WRITERS)
def end(pairing_id: int):
    pairing = _load(pairing_id)
    form = EndForm()
    if not form.validate_on_submit():
        return _render_show(pairing, end_form=form, error=_("请按提示修改后再保存"), status=422)
    try:
        services.end_pairing(current_user, pairing, form.ended_on.data, form.reason.data)
        db.session.commit()
    except services.PairingError as err:
        db.session.rollback()
        return _render_show(_load(pairing_id), end_form=form, error=str(err), status=422)
    except LookupError:
        db.session.rollback()
        abort(404)
    flash(_("已结束结对，记录保留在历史中"), "success")
    return redirect(url_for("pairings.show", pairing_id=pairing.id))


@bp.post("/<int:pairing_id>/transfer")
@roles_required(*WRITERS)
def transfer(pairing_id: int):
    pairing = _load(pairing_id)
    form = TransferForm(prefix="t")
    if _searching():
        return _render_show(pairing, transfer_form=form)
    if not form.validate_on_submit():
        return _render_show(pairing, transfer_form=form, error=_("请按提示修改后再保存"), status=422)
    to = lookup.pairable_cadre(current_user, form.cadre_id.data)
    if to is None:
        form.cadre_id.errors.append(_("找不到该干部，请重新查找"))
        return _render_show(pairing, transfer_form=form, error=_("请按提示修改后再保存"), status=422)
    try:
        new_pairing = services.transfer_pairing(current_user, pairing, to, form.on.data, form.reason.data)
        db.session.commit()
    except services.PairingError as err:
        db.session.rollback()
        return _render_show(_load(pairing_id), transfer_form=form, error=str(err), status=422)
    except LookupError:
        db.session.rollback()
        abort(404)
    flash(_("已调整：由%(cadre)s接手", cadre=to.name), "success")
    return redirect(url_for("pairings.show", pairing_id=new_pairing.id))


@bp.get("/violations")
@roles_required(*READERS)
def violations():
    township_id = lookup.chosen_township(current_user, request.args)
    households = paginate(households_without_cadre(current_user, township_id).options(
        joinedload(Household.village), joinedload(Household.township)))
    villages = village_norms(current_user, township_id)
    return render_template("pairings/violations.html", households=households, township_id=township_id,
                           townships=township_choices(current_user),
                           missing_link=[v for v in villages if v.missing_link],
                           missing_stationed=[v for v in villages if v.missing_stationed],
                           teams=[v for v in villages if v.team_problem], team_size=TEAM_SIZE)

