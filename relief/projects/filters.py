"""The project ledger's filters: the search form's, and those of the figures that link here."""
from __future__ import annotations

from flask_babel import gettext as _

from relief.filters import Filters
from relief.models import Cadre, Project, ProjectStatus, ProjectType
from relief.reports import conditions


def list_filters() -> Filters:
    """The project ledger's filters: the search form's and those of the figures that link here."""
    f = Filters()
    q = f.raw("q")
    if q:
        f.add(Project.name.contains(q, autoescape=True), _("项目名称含“%(q)s”", q=q), "q")
    f.of_township(Project.township_id)
    f.of_village(Project.village_id)
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
