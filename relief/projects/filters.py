"""The project ledger's filters: the search form's, and those of the figures that link here."""
from __future__ import annotations

from flask_babel import gettext as _

from relief.filters import Filters
from relief.models import Project, ProjectStatus, ProjectType
from relief.reports import conditions


def list_filters() -> Filters:
    """The project ledger's filters: the search form's and those of the figures that link here."""
    f = Filters()
    f.of_text(_("项目名称含“%(q)s”"), Project.name)
    f.of_township(Project.township_id)
    f.of_village(Project.village_id)
    f.of_enum(Project.status, "status", ProjectStatus, _("阶段"), _("阶段：%(s)s"))
    f.of_enum(Project.type, "type", ProjectType, _("类型"), _("类型：%(s)s"))
    f.of_cadre(Project.responsible_cadre_id, _("负责干部：%(name)s"))
    period = f.period("implemented")
    if period:
        f.add(conditions.project_implemented(period.first, period.last), _("%(p)s内实施", p=period.label),
              "implemented")
    period = f.period("running")
    if period:
        f.add(conditions.project_running(period.first, period.last), _("%(p)s内在建或运营", p=period.label), "running")
    return f
