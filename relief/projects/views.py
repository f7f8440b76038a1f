"""Projects: the ledger, one project's page, creating, editing, stage changes and progress entries."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import defer, joinedload, selectinload

from relief.access import roles_required
from relief.paging import paginate
from relief.extensions import db
from relief.models import (
    Project,
    ProjectPhoto,
    ProjectStatus,
    ProjectType,
    ProjectUpdate,
    Role,
    Village,
)
from relief.filters import township_choices
from relief.scope import get_scoped_or_404
from relief.fields import db_int, refused_status

from . import services
from .filters import list_filters
from .forms import AdvanceForm, ProjectForm, UpdateForm

bp = Blueprint("projects", __name__, url_prefix="/projects")

_PAGE = [joinedload(Project.village).joinedload(Village.township), joinedload(Project.responsible_cadre)]


@bp.get("/")
@login_required
def index():
    filters = list_filters().check()
    page = paginate(services.project_list(current_user, filters.where).options(*_PAGE))
    people = services.people(current_user, filters.where)
    beyond = services.beyond(current_user, filters.where, page.total) if filters.one_cadre else 0
    townships = township_choices(current_user)
    township = filters.township()
    return render_template("projects/index.html", page=page, q=filters.raw("q"),
                           status=ProjectStatus.from_label(filters.raw("status")),
                           kind=ProjectType.from_label(filters.raw("type")),
                           township_id=township.id if township else None, townships=townships,
                           statuses=list(ProjectStatus), kinds=list(ProjectType), filters=filters, people=people,
                           beyond=beyond)




@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    return _render_show(_project(project_id))


def _project(project_id: int) -> Project:
    return get_scoped_or_404(Project, project_id, current_user, options=[
        *_PAGE, selectinload(Project.updates).joinedload(ProjectUpdate.author),
        selectinload(Project.updates).selectinload(ProjectUpdate.photos).options(defer(ProjectPhoto.data))])


def _render_show(project: Project, update_form: UpdateForm | None = None):
    writable = services.may_write(current_user, project.village)
    advance_form = AdvanceForm(formdata=None, to=project.status.next.value if project.status.next else "")
    return render_template("projects/show.html", p=project, writable=writable, advance_form=advance_form,
                           update_form=update_form or UpdateForm(formdata=None), stages=list(ProjectStatus))


def _form_data(form: ProjectForm) -> services.ProjectData:
    return services.ProjectData(
        name=form.name.data, type=ProjectType(form.type.data),
        responsible_cadre_id=int(form.responsible_cadre.data) if form.responsible_cadre.data else None,
        funding_source=(form.funding_source.data or "").strip(), funding_yuan=form.funding.data or 0,
        started_on=form.started_on.data, finished_on=form.finished_on.data,
        expected_income_yuan=form.expected_income.data or 0, actual_income_yuan=form.actual_income.data or 0,
        households_benefited=form.households_benefited.data or 0, people_benefited=form.people_benefited.data or 0,
        description=(form.description.data or "").strip())


def _cadre_field(form: ProjectForm, village: Village, current: int | None = None) -> None:
    form.responsible_cadre.choices = [("", _("未指定"))] + [
        (str(cid), label) for cid, label in services.cadre_choices(village, current)]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.LEADER)
def create():
    village_id = request.args.get("village_id", type=db_int)
    if not village_id:
        flash(_("请先打开要建项目的村庄，再点“新建项目”"), "info")
        return redirect(url_for("villages.index", weak=1))
    village = get_scoped_or_404(Village, village_id, current_user, options=[joinedload(Village.township)])
    if not services.may_write(current_user, village):
        abort(403)
    form = ProjectForm()
    _cadre_field(form, village)
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, village, _form_data(form))
        except services.ProjectError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            db.session.commit()
            flash(_("已新建项目“%(name)s”", name=project.name), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return (render_template("projects/form.html", form=form, village=village, project=None),
            refused_status())


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.LEADER)
def edit(project_id: int):
    project = get_scoped_or_404(Project, project_id, current_user, options=_PAGE)
    if not services.may_write(current_user, project.village):
        abort(403)
    if request.method == "GET":
        form = ProjectForm(data=dict(
            name=project.name, type=project.type.value, funding_source=project.funding_source,
            responsible_cadre=str(project.responsible_cadre_id or ""), funding=project.funding_yuan,
            started_on=project.started_on, finished_on=project.finished_on,
            expected_income=project.expected_income_yuan, actual_income=project.actual_income_yuan,
            households_benefited=project.households_benefited, people_benefited=project.people_benefited,
            description=project.description))
    else:
        form = ProjectForm()
    _cadre_field(form, project.village, project.responsible_cadre_id)
    if form.validate_on_submit():
        try:
            services.update_project(current_user, project, _form_data(form))
        except services.ProjectError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return (render_template("projects/form.html", form=form, village=project.village, project=project),
            refused_status())


@bp.post("/<int:project_id>/advance")
@roles_required(Role.ADMIN, Role.LEADER)
def advance(project_id: int):
    project = get_scoped_or_404(Project, project_id, current_user, options=_PAGE)
    form = AdvanceForm()
    to = ProjectStatus.from_label(form.to.data or "")
    if not form.validate_on_submit() or to is None:
        flash(_("请从项目页面推进项目阶段"), "danger")
        return _render_show(_project(project_id)), 422
    try:
        services.advance(current_user, project, to, form.note.data)
    except services.ProjectError as err:
        db.session.rollback()
        flash(str(err), "danger")
        return _render_show(_project(project_id)), 422
    db.session.commit()
    flash(_("项目已进入“%(stage)s”阶段", stage=to.label), "success")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.post("/<int:project_id>/updates")
@roles_required(Role.ADMIN, Role.LEADER)
def add_update(project_id: int):
    project = _project(project_id)
    form = UpdateForm()
    if form.validate_on_submit():
        uploads = [(f.filename or "", f.read()) for f in request.files.getlist(form.photos.name) if f and f.filename]
        try:
            services.add_update(current_user, project, form.text.data, form.on.data, uploads)
        except ValueError as err:  # ProjectError or PhotoError: nothing was stored
            db.session.rollback()
            form.photos.errors = [str(err)]
        else:
            db.session.commit()
            flash(_("已记录项目进展"), "success")
            return redirect(url_for("projects.show", project_id=project.id, _anchor="updates"))
    return _render_show(project, update_form=form), refused_status()


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    row = services.photo(current_user, photo_id)
    if row is None:
        abort(404)
    return Response(row.data, mimetype=row.content_type)
