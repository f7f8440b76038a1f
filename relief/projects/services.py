"""Relief projects (帮扶项目): create, edit, move forward through their stages, record progress.

The admin writes everywhere, a township leader inside the own township; cadres and inspectors
only read. Every function takes the acting user, checks it, writes through the ORM (audited)
and flushes; the view commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.sql import Select

from relief.dates import today
from relief.extensions import db
from relief.models import (
    Cadre,
    Pairing,
    Project,
    ProjectPhoto,
    ProjectStatus,
    ProjectType,
    ProjectUpdate,
    Role,
    Village,
)
from relief.scope import count_beyond, scoped

from . import photos as photo_files


class ProjectError(ValueError):
    """A change that cannot be made; the message says what to fix."""


def project_list(user, where: list) -> Select:
    """The projects the user may see that match the ledger's filters, by township and village."""
    return (scoped(sa.select(Project).where(*where), user)
            .order_by(Project.township_id, Project.village_id, Project.id))


def people(user, where: list) -> int:
    """The people the ledger's projects benefit."""
    return db.session.scalar(scoped(sa.select(sa.func.coalesce(sa.func.sum(Project.people_benefited), 0))
                                    .where(*where), user, Project))


def beyond(user, where: list, visible: int) -> int:
    """How many of one cadre's projects (the work record's figure) the user may not see."""
    return count_beyond(sa.select(Project).where(*where), user, visible)


def photo(user, photo_id: int):
    """(data, content type) of a progress photo, only for those who may see its project; else None."""
    return db.session.execute(scoped(
        sa.select(ProjectPhoto.data, ProjectPhoto.content_type)
        .join(ProjectUpdate, ProjectUpdate.id == ProjectPhoto.update_id)
        .join(Project, Project.id == ProjectUpdate.project_id)
        .where(ProjectPhoto.id == photo_id), user, Project)).first()


def may_write(user, village: Village) -> bool:
    """Admin everywhere, a leader in the own township; nobody else."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.LEADER and user.township_id == village.township_id


def _writer(user, village: Village) -> None:
    if not may_write(user, village):
        raise ProjectError(_("只有区扶贫办管理员和本乡镇领导可以修改项目"))


@dataclass
class ProjectData:
    """What a project form supplies."""

    name: str
    type: ProjectType
    responsible_cadre_id: int | None = None
    funding_source: str = ""
    funding_yuan: int = 0
    started_on: date | None = None
    finished_on: date | None = None
    expected_income_yuan: int = 0
    actual_income_yuan: int = 0
    households_benefited: int = 0
    people_benefited: int = 0
    description: str = ""

    def check(self, village: Village, current_cadre_id: int | None = None) -> None:
        self.name = (self.name or "").strip()
        if not self.name:
            raise ProjectError(_("请填写项目名称"))
        for money in (self.funding_yuan, self.expected_income_yuan, self.actual_income_yuan):
            if money < 0:
                raise ProjectError(_("金额不能为负数"))
        if self.households_benefited < 0 or self.people_benefited < 0:
            raise ProjectError(_("受益户数和人数不能为负数"))
        if self.people_benefited and self.people_benefited < self.households_benefited:
            raise ProjectError(_("受益人数（%(p)d）不能少于受益户数（%(h)d）",
                                 p=self.people_benefited, h=self.households_benefited))
        if self.started_on and self.finished_on and self.finished_on < self.started_on:
            raise ProjectError(_("完工日期不能早于开工日期"))
        if self.responsible_cadre_id is not None and \
                self.responsible_cadre_id not in {cid for cid, _label in cadre_choices(village, current_cadre_id)}:
            raise ProjectError(_("责任干部须是在本村结对的干部"))


def create_project(user, village: Village, data: ProjectData) -> Project:
    """A new project starts at 规划; its first entry in the progress record says so."""
    _writer(user, village)
    data.check(village)
    project = Project(village_id=village.id, township_id=village.township_id, status=ProjectStatus.PLANNED,
                      **{f.name: getattr(data, f.name) for f in fields(data)})
    project.updates.append(ProjectUpdate(on=today(), text=_("项目立项"), status_to=ProjectStatus.PLANNED,
                                         author_id=user.id))
    db.session.add(project)
    db.session.flush()
    return project


def update_project(user, project: Project, data: ProjectData) -> None:
    _writer(user, project.village)
    data.check(project.village, project.responsible_cadre_id)
    for f in fields(data):
        setattr(project, f.name, getattr(data, f.name))
    db.session.flush()


def advance(user, project: Project, to: ProjectStatus, note: str = "", on: date | None = None) -> ProjectUpdate:
    """Move the project one stage forward (规划 → 在建 → 完工 → 运营), recorded as a progress entry.

    `to` is the stage the user saw as next: a repeated or stale submission is refused, never
    applied twice.
    """
    _writer(user, project.village)
    on = on or today()
    if on > today():
        raise ProjectError(_("日期不能晚于今天"))
    nxt = project.status.next
    if nxt is None:
        raise ProjectError(_("项目已在运营，这是最后一个阶段"))
    if to is not nxt:
        raise ProjectError(_("项目现在处于“%(now)s”阶段，只能推进到“%(next)s”",
                             now=project.status.label, next=nxt.label))
    before = project.status
    project.status = nxt
    if nxt is ProjectStatus.BUILDING and project.started_on is None:
        project.started_on = on
    if nxt is ProjectStatus.COMPLETED and project.finished_on is None:
        project.finished_on = on
    text = (note or "").strip() or _("进入“%(stage)s”阶段", stage=nxt.label)
    entry = ProjectUpdate(on=on, text=text, status_from=before, status_to=nxt, author_id=user.id)
    project.updates.append(entry)
    db.session.flush()
    return entry


def add_update(user, project: Project, text: str, on: date | None, uploads: list[tuple[str, bytes]]) -> ProjectUpdate:
    """A progress note with photos; every photo is checked before anything is stored."""
    _writer(user, project.village)
    text = (text or "").strip()
    if not text:
        raise ProjectError(_("请填写进展情况"))
    on = on or today()
    if on > today():
        raise ProjectError(_("日期不能晚于今天"))
    most = current_app.config["PROJECT_PHOTOS_PER_UPDATE"]
    if len(uploads) > most:
        raise ProjectError(_("每次最多上传 %(n)d 张照片", n=most))
    prepared = [photo_files.prepare_named(raw, name) for name, raw in uploads]
    entry = ProjectUpdate(on=on, text=text, author_id=user.id)
    for data, width, height in prepared:
        entry.photos.append(ProjectPhoto(data=data, width=width, height=height, content_type="image/jpeg"))
    project.updates.append(entry)
    db.session.flush()
    return entry


def cadre_choices(village: Village, current: int | None = None) -> list[tuple[int, str]]:
    """Cadres actively paired in the village (any kind), plus the current responsible cadre."""
    paired = sa.select(Pairing.cadre_id).where(Pairing.village_id == village.id, Pairing.ended_on.is_(None))
    stmt = sa.select(Cadre.id, Cadre.name, Cadre.title).where(
        sa.or_(Cadre.id.in_(paired), Cadre.id == current) if current else Cadre.id.in_(paired))
    return [(cid, f"{name}（{title}）" if title else name)
            for cid, name, title in db.session.execute(stmt.order_by(Cadre.name, Cadre.id))]
