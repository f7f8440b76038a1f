"""Projects: the ledger, one project's page, creating, editing, stage changes and progress entries."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import defer, joinedload, selectinload

from relief.access import roles_required
from relief.paging import paginate
from relief.extensions import db
from relief.models import (
    Cadre,
    Project,
    ProjectPhoto,
    ProjectStatus,
    ProjectType,
    ProjectUpdate,
    Role,
    Township,
    Village,
)
from relief.filters import Filters
from relief.reports import conditions
from relief.scope import count_beyond, get_scoped_or_404, scoped
from relief.fields import db_int, refused_status

from . import services
from .forms import AdvanceForm, ProjectForm, UpdateForm

bp = Blueprint("projects", __name__, url_prefix="/projects")

_PAGE = [joinedload(Project.village).joinedload(Village.township), joinedload(Project.responsible_cadre)]


@bp.get("/")
@login_required
def index():
    filters = _filters().check()
    base = sa.select(Project).where(*filters.where)
    stmt = scoped(base, current_user).options(*_PAGE).order_by(Project.township_id, Project.village_id, Project.id)
    page = paginate(stmt)
    people = db.session.scalar(scoped(sa.select(sa.func.coalesce(sa.func.sum(Project.people_benefited), 0))
                                      .where(*filters.where), current_user, Project))
    beyond = count_beyond(base, current_user, page.total) if filters.one_cadre else 0
    townships = db.session.scalars(scoped(sa.select(Township), current_user).order_by(Township.name)).all()
    township = filters.township()
    return render_template("projects/index.html", page=page, q=filters.raw("q"),
                           status=ProjectStatus.from_label(filters.raw("status")),
                           kind=ProjectType.from_label(filters.raw("type")),
                           township_id=township.id if township else None, townships=townships,
                           statuses=list(ProjectStatus), kinds=list(ProjectType), filters=filters, people=people,
                           beyond=beyond)


def _filters() -> Filters:
    """The project ledger's filters: the search form's and those of the figures that link here."""
    f = Filters()
    q = f.raw("q")
    if q:
        f.add(Project.name.contains(q, autoescape=True), _("项目名称含“%(q)s”", q=q), "q")
    township = f.township()
    if township:
        f.add(Project.township_id == township.id, _("乡镇：%(name)s", name=township.name), "township")
    village = f.row("village", Village, _("村"))
    if village:
        f.add(Project.village_id == village.id, _("村：%(name)s", name=village.name), "village")
    status = f.enum("status", ProjectStatus, _("阶段"))
    if status:
        f.add(Project.status == status, _("阶段：%(s)s", s=status.label), "status")
    kind = f.enum("type", ProjectType, _("类型"))
    if kind:
        f.add(Project.type == kind, _("类型：%(s)s", s=kind.label), "type")
    cadre = f.row("cadre", Cadre, _("干部"))
    if cadre:
        f.one_cadre = True
        f.add(Project.responsible_cadre_id == cadre.id, _("负责干部：%(name)s", name=cadre.name), "cadre")
    period = f.period("implemented")
    if period:
        f.add(conditions.project_implemented(period.first, period.last), _("%(p)s内实施", p=period.label),
              "implemented")
    period = f.period("running")
    if period:
        f.add(conditions.project_running(period.first, period.last), _("%(p)s内在建或运营", p=period.label), "running")
    return f


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
    row = db.session.execute(scoped(
        sa.select(ProjectPhoto.data, ProjectPhoto.content_type)
        .join(ProjectUpdate, ProjectUpdate.id == ProjectPhoto.update_id)
        .join(Project, Project.id == ProjectUpdate.project_id)
        .where(ProjectPhoto.id == photo_id), current_user, Project)).first()
    if row is None:
        abort(404)
    return Response(row.data, mimetype=row.content_type)
