"""The visit list's filters: the rows behind every count of visits (a month of the dashboard's chart,
a cadre's visits of the year or the quarter, a township's visits of the year in the report)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.filters import Filters
from relief.models import Visit, VisitKind
from relief.reports import conditions

#: besides each kind of visit, both holiday kinds together (the work record's 节日慰问)
_HOLIDAY = _l("节日慰问（春节、中秋）")


def list_filters() -> Filters:
    f = Filters()
    period = f.period()
    if period:
        f.add(Visit.visited_on.between(period.first, period.last), _("走访日期在%(p)s", p=period.label), "period")
    f.of_township(Visit.township_id)
    f.of_cadre(Visit.cadre_id, _("走访干部：%(name)s"))
    f.of_household(Visit.household_id)
    f.of_village(Visit.village_id)
    kind = f.choice("kind", {**{k.value: k.label for k in VisitKind}, "holiday": str(_HOLIDAY)}, _("走访类型"))
    if kind:
        f.add(conditions.visit_kind_condition(kind), str(_HOLIDAY) if kind == "holiday" else VisitKind(kind).label,
              "kind")
    return f
