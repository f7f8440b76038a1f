"""The household list's filters: the search form's, and those of the figures that link here
(relief.filters reads the parameters; reports.conditions holds the conditions a figure counts)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.filters import Filters
from relief.models import Cadre, Household, HouseholdStatus, MonitorCategory, VisitKind
from relief.reports import conditions
from relief.reports.holidays import HOLIDAYS


def list_filters() -> Filters:
    """The household list's filters: the search form's and those of the figures that link here."""
    f = Filters()
    now = f.today
    f.of_text(_("户主姓名含“%(q)s”"), Household.head_name)
    f.of_township(Household.township_id)
    f.of_village(Household.village_id)
    f.of_enum(Household.status, "status", HouseholdStatus, _("状态"), _("状态：%(s)s"))
    if f.choice("need", {"1": _("贫困户和监测户")}, _("帮扶对象")):
        f.add(Household.status.in_(HouseholdStatus.needing()), _("贫困户和监测户"), "need")
    monitored = f.choice("monitored", {"all": _("全部类别"), **{c.value: c.label for c in MonitorCategory}},
                         _("监测对象"))
    if monitored:  # the dashboard's 监测对象: 监测户 whose risk is not cleared (monitoring.figures)
        current = sa.and_(Household.status == HouseholdStatus.MONITORED, Household.monitor_cleared_on.is_(None))
        if monitored == "all":
            f.add(current, _("监测对象（风险未消除的监测户）"), "monitored")
        else:
            f.add(sa.and_(current, Household.monitor_category == MonitorCategory(monitored)),
                  _("监测对象：%(c)s", c=MonitorCategory(monitored).label), "monitored")
    paired = f.choice("paired", {"1": _("已结对"), "0": _("未结对")}, _("结对"))
    if paired:
        pairing = conditions.active_household_pairing()
        f.add(pairing if paired == "1" else ~pairing, _("已结对") if paired == "1" else _("未结对"), "paired")
    days = f.whole("visited", 1, 3650, _("走访天数"))
    if days:
        f.add(conditions.visited_within(days, now), _("已结对，近 %(n)d 天内走访过", n=days), "visited")
    days = f.whole("unvisited", 1, 3650, _("未走访天数"))
    if days:
        f.add(conditions.not_visited_within(days, now), _("已结对，近 %(n)d 天内没有走访", n=days), "unvisited")
    dues = {"ok": _("走访正常"), "due": _("应走访"), "overdue": _("已逾期未走访")}
    due = f.choice("due", dues, _("走访状态"))
    if due:
        f.add(conditions.due_condition(due, now), dues[due], "due")
    lifted = f.year("lifted")
    if lifted:
        f.add(Household.lifted_year == lifted, _("%(y)d年脱贫", y=lifted), "lifted")
    cadre = f.row("cadre", Cadre, _("干部"))
    cadre_id = cadre.id if cadre else None
    f.one_cadre = cadre is not None
    holiday = f.choice("holiday", {k: VisitKind(k).label for k in HOLIDAYS}, _("节日"))
    year = f.year()
    covered = f.choice("covered", {"1": _("已慰问"), "0": _("未慰问")}, _("慰问"))
    period = f.period("paired_in")
    if holiday and year is None and "year" not in f.problems:
        f.bad("year", _("按节日慰问筛选时请同时给出年度（year）"))
    if holiday and year:
        words = _("%(y)d年%(h)s时段内结对", y=year, h=VisitKind(holiday).label)
        if covered:
            words += "，" + (_("已慰问") if covered == "1" else _("未慰问"))
        if cadre:
            words += "，" + _("结对干部：%(name)s", name=cadre.name)
        f.add(conditions.holiday_condition(holiday, year, None if covered is None else covered == "1", cadre_id),
              words, "holiday", "year", "covered", *(("cadre",) if cadre else ()))
    elif covered:
        f.bad("covered", _("“已慰问/未慰问”要和节日（holiday）、年度（year）一起使用"))
    if period:
        words = _("%(p)s内结对", p=period.label) + ("，" + _("结对干部：%(name)s", name=cadre.name) if cadre else "")
        f.add(conditions.paired_during(period.first, period.last, cadre_id if not holiday else None), words,
              "paired_in", *(("cadre",) if cadre and not holiday else ()))
    if cadre and not holiday and not period:
        f.add(conditions.active_household_pairing(cadre_id), _("%(name)s的结对户", name=cadre.name), "cadre")
    return f
