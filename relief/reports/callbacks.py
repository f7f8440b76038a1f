"""Call-backs (回访) against the visit log: what a household said and what is recorded, as the
call-back pages, the bulletin and the export's 回访 sheet all show it.

A *mismatch* is a reached household that said its paired cadre did not come (cadre_visited = no)
while visits by that cadre to that household are recorded with a date in the
CALLBACK_LOOKBACK_MONTHS (3) months up to the day of the call. Phone contacts (电话联系) are not
visits in person and do not count.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.orm import joinedload

from relief.dates import to_cst
from relief.extensions import db
from relief.models import Answer, Cadre, Callback, Household, Visit, VisitKind
from relief.scope import scoped


def called_on(cb: Callback) -> date | None:
    """The China date of the call."""
    return to_cst(cb.called_at).date() if cb.called_at else None


def lookback(day: date) -> tuple[date, date]:
    """The period a household is asked about: the last N months up to the day of the call."""
    return day - relativedelta(months=current_app.config["CALLBACK_LOOKBACK_MONTHS"]), day


@dataclass
class Mismatch:
    callback: Callback
    called_on: date
    window: tuple[date, date]
    #: the visits recorded by the household's cadre inside the window, oldest first
    visits: list[Visit] = field(default_factory=list)


def mismatches(user, months: Iterable[str] | None = None, township_id: int | None = None) -> list[Mismatch]:
    """Households that said nobody came while their cadre's visits are recorded (two queries)."""
    said_no = (scoped(sa.select(Callback), user)
               .where(Callback.reached.is_(True), Callback.cadre_visited == Answer.NO,
                      Callback.called_at.is_not(None)))
    if months is not None:
        said_no = said_no.where(Callback.month.in_(list(months)))
    if township_id:
        said_no = said_no.where(Callback.township_id == township_id)
    callbacks = db.session.scalars(
        said_no.options(joinedload(Callback.household).joinedload(Household.village),
                        joinedload(Callback.household).joinedload(Household.township),
                        joinedload(Callback.cadre).joinedload(Cadre.unit))
        .order_by(Callback.month.desc(), Callback.township_id, Callback.id)).unique().all()
    if not callbacks:
        return []
    found = [Mismatch(cb, called_on(cb), lookback(called_on(cb))) for cb in callbacks]
    pairs = said_no.with_only_columns(Callback.household_id, Callback.cadre_id)
    visits = db.session.scalars(
        scoped(sa.select(Visit), user)
        .where(sa.tuple_(Visit.household_id, Visit.cadre_id).in_(pairs), Visit.kind != VisitKind.PHONE,
               Visit.visited_on.between(min(m.window[0] for m in found), max(m.window[1] for m in found)))
        .order_by(Visit.visited_on, Visit.id)).all()
    by_pair = defaultdict(list)
    for v in visits:
        by_pair[(v.household_id, v.cadre_id)].append(v)
    for m in found:
        start, end = m.window
        m.visits = [v for v in by_pair[(m.callback.household_id, m.callback.cadre_id)]
                    if start <= v.visited_on <= end]
    return [m for m in found if m.visits]
