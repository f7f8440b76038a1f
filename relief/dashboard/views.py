"""The dashboard: a township's (or the district's) figures, each linked to the list behind it."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from relief import charts
from relief.access import roles_required
from relief.cache import cached_html
from relief.dates import to_cst, today, year_from_request
from relief.flags.services import REASON_LABELS
from relief.models import Role
from relief.monitoring.figures import labels as monitoring_labels
from relief.paging import Page, check_page, page_number
from relief.scope import township_of_request
from relief.templating import render_kept

from . import services
from .cadres import CADRE_SORTS

bp = Blueprint("dashboard", __name__)


def _as_of(kept, now) -> str | None:
    """When kept counts were computed, China time: the hour, and the date too if not today's."""
    if kept is None or kept.as_of is None:
        return None
    at = to_cst(kept.as_of)
    return at.strftime("%H:%M" if at.date() == now else "%Y-%m-%d %H:%M")


#: rendered drill-down rows by what they show (a province's 200 rows: most unchanged between reads)
_ROWS: dict[tuple, Markup] = {}


def _row_renderer(year: int, now):
    """township_row(t) for _townships.html: the row's HTML, rendered again only when what it shows
    (its figures, the language, the year, the day) differs from a row rendered before."""
    where = (str(get_locale()), request.script_root, year, now)

    def township_row(t) -> Markup:
        th = t.households
        key = (*where, t.id, t.name, th.needing_paired, th.needing, th.visited_30, th.paired, th.overdue,
               tuple((h.kind, h.start, h.covered, h.paired) for h in t.holidays), t.demands.overdue,
               t.villages.reached, t.villages.weak)
        html = _ROWS.get(key)
        if html is None:
            if len(_ROWS) > 20_000:
                _ROWS.clear()
            html = _ROWS[key] = Markup(render_template("dashboard/_township_row.html", t=t, year=year, today=now))
        return html

    return township_row


@bp.get("/dashboard")
@roles_required(Role.ADMIN, Role.LEADER, Role.INSPECTOR)
def index():
    year, notice = year_from_request(request.args.get("year"))
    township = township_of_request(request.args.get("township"), current_user)
    tid = township.id if township else None
    sort = request.args.get("sort") if request.args.get("sort") in CADRE_SORTS else "overdue"
    descending = request.args.get("dir") != "asc"
    page_no = page_number()
    per_page = current_app.config["PER_PAGE"]
    now = today()
    scope_args = {"township": tid} if tid else {}

    def body() -> str:
        # kept with the page: a kept page shows the counts (and their time) it was rendered with
        flags = services.flag_counts(current_user, year, tid)
        data = services.page(current_user, year, now, tid, sort, descending, page_no, per_page)
        check_page(page_no, len(data.cadres), data.total, per_page)
        # under the bars the month's number only: "12月" does not fit a twelfth of a phone's width
        chart = charts.bar_chart([{"label": _("%(m)d月", m=m + 1), "tick": str(m + 1), "value": n}
                                  for m, n in enumerate(data.figures.months)])
        return render_template(
            "dashboard/_content.html", f=data.figures, year=year, notice=notice, township=township,
            cadres=data.cadres, total=data.total, page=Page(data.cadres, page_no, per_page, data.total), sort=sort,
            descending=descending, chart=chart, drill=data.drill, today=now, scope=scope_args,
            due_days=current_app.config["VISIT_DUE_DAYS"],
            norm=current_app.config["ATTENDANCE_NORM_DAYS"], townships_for_filter=data.townships,
            township_row=_row_renderer(year, now), flag_counts=flags.value if flags else None, flags_as_of=_as_of(flags, now),
            flag_labels=REASON_LABELS,
            monitoring=data.monitoring, monitor_labels=monitoring_labels())

    scope = services.figures_township(current_user, tid)
    content = cached_html("dashboard-html", scope, body, shared=scope is not None)  # as services.page
    return render_kept("dashboard/index.html", content, township=township)
