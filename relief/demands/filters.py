"""The demand list's filters: its state (the tabs), a period, a township, a cadre, a household, a village."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from relief.filters import Filters
from relief.models import Demand
from relief.reports import conditions

#: the tabs above the list; `closed` (either way settled) is still accepted as a filter
TABS = ("open", "overdue", "resolved", "cannot_resolve", "all")

STATE_LABELS = {"open": _l("未办结"), "overdue": _l("已超期"), "resolved": _l("已办结"),
                "cannot_resolve": _l("无法解决"), "closed": _l("已办结或无法解决"), "all": _l("全部")}


def list_filters() -> Filters:
    """The demand list's filters: the state (its tabs), a period, a township, a cadre, a household."""
    f = Filters()
    key = "status" if f.raw("status") else "show"  # `show` is the state's former name
    state = f.choice(key, {k: str(v) for k, v in STATE_LABELS.items()}, _("状态")) or "open"
    period = f.period()
    f.state = state
    # the state is shown by the tabs, so it is kept apart from the other filters (the tabs' counts
    # use those); a period makes it a filter of its own, in words
    f.state_condition = conditions.demand_condition(state, f.today, *((period.first, period.last) if period else ()))
    if period:
        words = {"open": _("%(p)s内提出、尚未办结"), "overdue": _("%(p)s内有超期未办的日子"),
                 "resolved": _("%(p)s内办结"), "cannot_resolve": _("%(p)s内确认无法解决"),
                 "closed": _("%(p)s内办结或确认无法解决"), "all": _("%(p)s内提出")}[state]
        f.add(None, words % {"p": period.label}, "period")
    f.of_township(Demand.township_id)
    f.of_cadre(Demand.owner_id, _("负责干部：%(name)s"), key="owner", what=_("负责干部"))
    f.of_household(Demand.household_id)
    f.of_village(Demand.village_id)
    return f
