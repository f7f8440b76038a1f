"""The cadre list's filters: the search form's, and those of the figures that link here."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from relief.filters import Filters
from relief.models import Cadre, Rank, Unit
from relief.reports import conditions


def list_filters() -> Filters:
    """The cadre list's filters: the search form's and those of the figures that link here."""
    f = Filters()
    f.of_text(_("姓名或单位含“%(q)s”"), Cadre.name, Unit.name)
    f.of_enum(Cadre.rank, "rank", Rank, _("职级"), _("职级：%(s)s"))
    township = f.township()
    period = f.period("paired_in")
    tid = township.id if township else None
    if period:
        words = _("%(p)s内有结对", p=period.label) + (_("（%(name)s）", name=township.name) if township else "")
        f.add(conditions.cadre_paired(tid, period.first, period.last), words, "paired_in", "township")
    elif township:
        f.add(conditions.cadre_paired(tid), _("在%(name)s结对", name=township.name), "township")
    if f.choice("stationed", {"1": _("驻村干部和工作队")}, _("驻村")):
        f.add(conditions.cadre_stationed(), _("驻村干部和工作队"), "stationed")
    below = f.choice("attendance", {"below": _("有月份驻村天数不足")}, _("驻村考勤"))
    year = f.year()
    if below and year is None and "year" not in f.problems:
        f.bad("year", _("按驻村考勤筛选时请同时给出年度（year）"))
    if below and year:
        f.add(conditions.cadre_attendance_below(year, tid),
              _("%(year)d 年有月份驻村天数不足 %(n)d 天", year=year, n=current_app.config["ATTENDANCE_NORM_DAYS"]),
              "attendance", "year")
    return f
