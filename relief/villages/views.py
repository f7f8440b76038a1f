"""Villages: the list, one village's page, and (admin) collective income and target entry."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from relief import charts
from relief.access import roles_required
from relief.dates import today
from relief.extensions import db
from relief.fields import refused_status, wan_text, year_int
from relief.filters import township_choices
from relief.models import Role, Village
from relief.models.org import CoordSystem
from relief.paging import paginate_rows
from relief.projects.services import may_write as may_write_projects
from relief.scope import get_scoped_or_404
from relief.targets import target_for

from . import services
from .filters import list_filters
from .forms import DistrictTargetForm, IncomeForm, LocationForm, VillageTargetForm

bp = Blueprint("villages", __name__, url_prefix="/villages")


@bp.get("/")
@login_required
def index():
    filters = list_filters().check()
    page = paginate_rows(services.village_list(current_user, filters.where))
    township = filters.township()
    return render_template("villages/index.html", rows=page.items, page=page, total=page.total,
                           q=filters.raw("q"), weak_only=filters.raw("weak") == "1",
                           township_id=township.id if township else None,
                           townships=township_choices(current_user), filters=filters)




@bp.get("/<int:village_id>")
@login_required
def show(village_id: int):
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    year = today().year
    page = services.village_page(current_user, village, year)
    chart = charts.bar_chart([
        {"label": str(h.year), "value": h.income_yuan, "marker": h.target_yuan, "css": f"bar-{h.band}",
         "text": wan_text(round(h.income_yuan, -3))} for h in page.history[-8:]]) if page.history else None
    return render_template("villages/show.html", v=village, history=page.history, chart=chart,
                           pairings=page.pairings, projects=page.projects, households=page.households, year=year,
                           progress=page.progress, target=target_for(village, year),
                           may_edit_projects=may_write_projects(current_user, village))


@bp.route("/<int:village_id>/income", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def income(village_id: int):
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    form = IncomeForm()
    if request.method == "GET":
        form.year.data = request.args.get("year", type=year_int) or today().year
    elif form.validate_on_submit():
        try:
            created = services.record_income(current_user, village, form.year.data, form.income.data)
        except services.VillageError as err:
            db.session.rollback()
            form.year.errors.append(str(err))
        else:
            db.session.commit()
            year = form.year.data
            flash(_("已录入 %(year)d 年收入", year=year) if created else _("已更新 %(year)d 年收入", year=year),
                  "success")
            return redirect(url_for("villages.show", village_id=village.id))
    return (render_template("villages/income.html", v=village, form=form, history=services.income_history(village)),
            refused_status())


@bp.route("/<int:village_id>/location", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def location(village_id: int):
    """The village's position, typed in the system of the app it was copied from; kept as WGS-84."""
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    form = LocationForm()
    if request.method == "GET":
        # what is stored, in WGS-84: saved again unchanged, it stays as it is
        form.lat.data, form.lng.data = village.lat, village.lng
    elif form.validate_on_submit():
        try:
            changed = services.set_location(current_user, village, form.lat.data, form.lng.data,
                                            form.coord_system.data)
        except services.VillageError as err:
            db.session.rollback()
            form.lat.errors.append(str(err))
        else:
            db.session.commit()
            if not changed:
                flash(_("位置没有变化"), "info")
            elif village.lat is None:
                flash(_("已清除位置：本村不再画在地图上"), "success")
            elif village.coord_system is CoordSystem.WGS84:
                flash(_("已保存位置"), "success")
            else:
                flash(_("已保存位置：已由 %(system)s 换算为 WGS-84（纬度 %(lat).6f，经度 %(lng).6f）",
                        system=village.coord_system.short, lat=village.lat, lng=village.lng), "success")
            return redirect(url_for("villages.show", village_id=village.id))
    return render_template("villages/location.html", v=village, form=form), refused_status()


@bp.route("/<int:village_id>/target", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def target(village_id: int):
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    form = VillageTargetForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.set_village_target(current_user, village, form.target.data, form.year.data)
        except services.VillageError as err:
            db.session.rollback()
            form.year.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("已保存本村目标"), "success")
            return redirect(url_for("villages.target", village_id=village.id))
    return render_template("villages/target.html", v=village, form=form, own=services.village_targets(village),
                           year=today().year, current=target_for(village, today().year)), refused_status()


@bp.route("/targets", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def targets():
    form = DistrictTargetForm()
    if request.method == "GET":
        form.year.data = today().year
    elif form.validate_on_submit():
        try:
            services.set_district_target(current_user, form.year.data, form.target.data)
        except services.VillageError as err:
            db.session.rollback()
            form.year.errors.append(str(err))
        else:
            db.session.commit()
            flash(_("已保存 %(year)d 年全区目标", year=form.year.data), "success")
            return redirect(url_for("villages.targets"))
    return render_template("villages/targets.html", form=form, rows=services.district_targets(),
                           default=current_app.config["DEFAULT_TARGET_YUAN"]), refused_status()
