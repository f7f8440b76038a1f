"""The demand (诉求) loop: raised in a visit, then resolved, marked in progress, given up on or
reopened; and the demand list.

Functions take the acting user, check the demand is visible and writable, change it and flush;
the audit trail records every change (Demand is audited). The caller commits once.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.dates import today
from relief.extensions import db
from relief.models import Demand, DemandStatus, Household, Visit
from relief.reports import conditions
from relief.scope import can_see, count_beyond, owned_by_cadre, scoped

TEXT_MAX = 500


def demand_list(user, state_condition, where: list, mine: bool = False) -> Select:
    """The demands the user may see in a state and matching the filters (a cadre's own only, if
    `mine`): open ones first, the earliest deadline (most overdue) on top; settled ones newest first."""
    stmt = _matching(sa.select(Demand).where(state_condition, *where), user, mine)
    is_open = Demand.status.in_(DemandStatus.open_statuses())
    return scoped(stmt, user).options(
        joinedload(Demand.household).load_only(Household.id, Household.head_name),
        joinedload(Demand.village), joinedload(Demand.owner)).order_by(
        sa.case((is_open, 0), else_=1), sa.case((is_open, Demand.deadline)), Demand.resolved_on.desc(), Demand.id)


def _matching(stmt, user, mine: bool):
    own = owned_by_cadre(user) if mine else None
    return stmt if own is None else stmt.where(own)


def beyond(user, state_condition, where: list, visible: int, mine: bool = False) -> int:
    """How many of one cadre's demands (the work record's figure) the user may not see."""
    return count_beyond(_matching(sa.select(Demand).where(state_condition, *where), user, mine), user, visible)


def tab_counts(user, where: list, today: date, mine: bool = False) -> tuple[int, int]:
    """The tabs' counts, open and overdue: the list's filters but its state and period."""
    stmt = scoped(sa.select(sa.func.count().filter(conditions.demand_condition("open", today)),
                            sa.func.count().filter(conditions.demand_condition("overdue", today)))
                  .select_from(Demand).where(*where), user, Demand)
    return tuple(db.session.execute(_matching(stmt, user, mine)).one())


def linked_visits(user, demand: Demand) -> dict[int, Visit]:
    """The visits the demand was raised and settled in that the user may open (only those are linked)."""
    ids = [i for i in (demand.visit_id, demand.resolved_in_visit_id) if i]
    if not ids:
        return {}
    return {v.id: v for v in db.session.scalars(scoped(sa.select(Visit), user).where(Visit.id.in_(ids)))}


class DemandError(ValueError):
    """A change that cannot be made; the message says why or what to fill in."""


def default_deadline(raised_on: date) -> date:
    return raised_on + timedelta(days=current_app.config["DEMAND_DEADLINE_DAYS"])


def writable(user, demand_id: int) -> bool:
    """Whether `user` may change the demand: visible to them and not an inspector."""
    if user is None or not getattr(user, "can_write", False):
        return False
    return can_see(Demand, demand_id, user)


def _check(user, demand: Demand) -> None:
    if not writable(user, demand.id):
        raise PermissionError(demand.id)


def _text(value: str | None, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DemandError(missing)
    if len(value) > TEXT_MAX:
        raise DemandError(_("内容太长，最多 %(n)d 个字", n=TEXT_MAX))
    return value


def resolve(user, demand: Demand, resolution: str, on: date | None = None) -> None:
    """Resolve by hand, saying how (办结情况)."""
    _check(user, demand)
    if not demand.status.is_open:
        raise DemandError(_("这条诉求已是“%(s)s”，请先重新打开", s=demand.status.label))
    text = _text(resolution, _("请填写办结情况：怎么解决的"))
    on = on or today()
    if on > today():
        raise DemandError(_("办结日期不能晚于今天"))
    if on < demand.raised_on:
        raise DemandError(_("办结日期不能早于提出日期 %(d)s", d=demand.raised_on.isoformat()))
    demand.status = DemandStatus.RESOLVED
    demand.resolved_on = on
    demand.resolution = text
    demand.reason = None
    db.session.flush()


def resolve_in_visit(demand: Demand, visit: Visit, resolution: str) -> None:
    """Settle an open demand in a later visit; the caller has checked visit and demand belong together."""
    demand.status = DemandStatus.RESOLVED
    demand.resolved_on = visit.visited_on
    demand.resolved_in_visit_id = visit.id
    demand.resolution = (resolution or "").strip()[:TEXT_MAX] or \
        _("在 %(d)s 的走访中办结", d=visit.visited_on.isoformat())
    demand.reason = None


def start(user, demand: Demand) -> None:
    """Mark as being worked on (办理中)."""
    _check(user, demand)
    if demand.status is not DemandStatus.OPEN:
        raise DemandError(_("只有待办的诉求可以标为办理中"))
    demand.status = DemandStatus.IN_PROGRESS
    db.session.flush()


def cannot_resolve(user, demand: Demand, reason: str) -> None:
    """Give up on a demand, saying why (无法解决)."""
    _check(user, demand)
    if not demand.status.is_open:
        raise DemandError(_("这条诉求已是“%(s)s”，请先重新打开", s=demand.status.label))
    demand.reason = _text(reason, _("请填写无法解决的原因"))
    demand.status = DemandStatus.CANNOT_RESOLVE
    demand.resolved_on = today()
    db.session.flush()


def reopen(user, demand: Demand, deadline: date | None = None) -> None:
    """Open a settled demand again with a new deadline; how it was settled stays in the audit trail."""
    _check(user, demand)
    if demand.status.is_open:
        raise DemandError(_("这条诉求尚未办结，不需要重新打开"))
    deadline = deadline or default_deadline(today())
    if deadline < today():
        raise DemandError(_("新的期限不能早于今天"))
    demand.status = DemandStatus.OPEN
    demand.deadline = deadline
    demand.resolved_on = None
    demand.resolved_in_visit_id = None
    demand.resolution = None
    demand.reason = None
    db.session.flush()
