"""The visit form, the list of visits, a visit's page, its photos, editing, holiday coverage and the
service worker."""
from __future__ import annotations

import uuid
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from relief.dates import today
from relief.extensions import db
from relief.reports.holidays import holiday_of
from relief.models import RiskType, Visit, VisitKind, VisitPhoto
from relief.scope import get_scoped_or_404
from relief.fields import db_int
from relief.paging import paginate

from . import coverage, offline, pages, services
from .filters import list_filters
from .schemas import NOTES_MAX

bp = Blueprint("visits", __name__)


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that it may control every page."""
    response = current_app.response_class(offline.service_worker_script(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline", endpoint="offline")
def offline_page():
    """What the service worker shows for a page it has not kept while there is no signal: the
    same for every user (kept in the shell), it lists the pages this phone has kept."""
    return render_template("visits/offline.html", public_page=True, page_cache=offline.PAGE_CACHE)


@bp.get("/offline/pages")
@login_required
def offline_pages():
    """The pages to keep on the phone for this user, fetched by offline.js after sign-in."""
    return jsonify(pages=offline.pages_to_keep(current_user, today()))


@bp.get("/visits/queue")
@login_required
def queue():
    """Visits kept on this phone and not yet sent: drawn by offline.js from the browser's storage."""
    return render_template("visits/queue.html")


@bp.app_template_global()
def offline_config():
    """What offline.js needs on every signed-in page, as JSON."""
    return offline.page_config_json(current_user)


def _form_data(household_id, village_id) -> dict:
    form = request.form
    data = {k: form.get(k) for k in ("client_uuid", "visited_on", "kind", "notes", "aid_yuan", "lat", "lng",
                                     "accuracy_m")}
    data.update(household_id=household_id, village_id=village_id)
    texts, deadlines = form.getlist("demand_text"), form.getlist("demand_deadline")
    data["demands"] = [{"text": t, "deadline": d} for t, d in zip(texts, deadlines + [""] * len(texts))
                       if t.strip() or d.strip()]
    data["resolved"] = [{"id": i, "resolution": form.get(f"resolution_{i}", "")} for i in form.getlist("resolved")]
    data["photos"] = [f.read() for f in request.files.getlist("photos") if f and f.filename]
    if form.get("risk_found"):  # 发现返贫风险: the type and the note count only when it is ticked
        data["risk"] = {"type": form.get("risk_type", ""), "note": form.get("risk_note", "")}
    return data


def _kind_default(target) -> str:
    holiday = holiday_of(today())
    if holiday:
        return holiday
    return VisitKind.ROUTINE.value if target.household else VisitKind.FIELD_STAY.value


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new():
    if not services.is_recorder(current_user):
        abort(403)
    household_id = request.args.get("household_id", type=db_int)
    village_id = None if household_id else request.args.get("village_id", type=db_int)
    if not household_id and not village_id:
        abort(404)
    try:
        target = services.target_for(current_user, household_id, village_id)
    except services.VisitNotFound:
        abort(404)
    errors, values = {}, {}
    if request.method == "POST":
        try:
            visit, created = services.record_visit(current_user, _form_data(household_id, village_id))
        except services.VisitInvalid as exc:
            errors, values = exc.fields, request.form
        except services.VisitConflict:
            abort(409)
        else:
            db.session.commit()
            flash(_("走访已保存") if created else _("这次走访之前已保存，没有重复记录"), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    values = values or {"visited_on": today().isoformat(), "kind": _kind_default(target), "aid_yuan": ""}
    html = render_template("visits/new.html", target=target, errors=errors, values=values,
                           client_uuid=values.get("client_uuid") or str(uuid.uuid4()), today=today(),
                           kinds=list(VisitKind), open_demands=services.open_demands_for(target),
                           deadline_days=current_app.config["DEMAND_DEADLINE_DAYS"], notes_max=NOTES_MAX,
                           max_photos=current_app.config["VISIT_PHOTO_MAX_COUNT"],
                           api_url=url_for("api.create_visit"), risk_types=list(RiskType))
    return html, (422 if errors else 200)


def _visit(visit_id: int) -> Visit:
    return get_scoped_or_404(Visit, visit_id, current_user, options=[
        joinedload(Visit.cadre), joinedload(Visit.household), joinedload(Visit.village),
        selectinload(Visit.photos).load_only(VisitPhoto.id, VisitPhoto.width, VisitPhoto.height),
        selectinload(Visit.demands)])


@bp.get("/visits/")
@login_required
def index():
    """The list of visits: the rows behind every count of visits (a month of the dashboard's chart, a
    cadre's visits of the year or the quarter, a township's visits of the year in the report)."""
    filters = list_filters().check()
    page = paginate(pages.visit_list(current_user, filters.where))
    beyond = pages.beyond(current_user, filters.where, page.total) if filters.one_cadre else 0
    return render_template("visits/index.html", page=page, filters=filters, beyond=beyond)


@bp.get("/visits/<int:visit_id>")
@login_required
def show(visit_id: int):
    visit = _visit(visit_id)
    return render_template("visits/show.html", v=visit, settled=pages.settled_in(visit), may_edit=services.may_edit(current_user, visit),
                           edit_until=services.edit_deadline(visit))


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: int):
    visit = _visit(visit_id)
    if not services.may_edit(current_user, visit):
        abort(403)
    errors, values = {}, {"visited_on": visit.visited_on.isoformat(), "kind": visit.kind.value,
                          "notes": visit.notes, "aid_yuan": visit.aid_yuan}
    if request.method == "POST":
        data = {k: request.form.get(k) for k in ("visited_on", "kind", "notes", "aid_yuan")}
        data["photos"] = [f.read() for f in request.files.getlist("photos") if f and f.filename]
        try:
            services.edit_visit(current_user, visit, data)
        except services.VisitInvalid as exc:
            errors, values = exc.fields, request.form
        else:
            db.session.commit()
            flash(_("走访记录已修改"), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    html = render_template("visits/edit.html", v=visit, errors=errors, values=values, kinds=list(VisitKind),
                           today=today(), notes_max=NOTES_MAX, edit_until=services.edit_deadline(visit),
                           room=current_app.config["VISIT_PHOTO_MAX_COUNT"] - len(visit.photos))
    return html, (422 if errors else 200)


@bp.get("/visits/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A visit photo, only for those who may see the visit."""
    row = pages.photo(current_user, photo_id)
    if row is None:
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/visits/holidays")
@login_required
def holidays():
    """Spring Festival and Mid-Autumn visit coverage per township, village and cadre."""
    page = coverage.coverage_page(current_user, request.args, today())
    return render_template("visits/holidays.html", p=page)


@bp.app_template_filter("cst")
def cst(utc_naive) -> str:
    """A stored UTC timestamp as China time, to the minute."""
    from relief.dates import to_cst

    value = to_cst(utc_naive)
    return value.strftime("%Y-%m-%d %H:%M") if value else ""

