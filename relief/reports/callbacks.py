"""Call-backs (回访): the month's sample, the bulletin's tallies, and what households said against the visit log.

A *mismatch* is a reached household that said its paired cadre did not come (cadre_visited = no)
while visits by that cadre to that household are recorded with a date in the
CALLBACK_LOOKBACK_MONTHS (3) months up to the day of the call. Phone contacts (电话联系) are not
visits in person and do not count.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.dates import to_cst
from relief.extensions import db
from relief.ids import mask_phone
from relief.models import Answer, Cadre, Callback, Household, Satisfaction, Township, Unit, Village, Visit, VisitKind
from relief.scope import scoped

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str | None) -> str | None:
    """'2025-5' or '2025-05' as '2025-05'; None when it is not a month."""
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def called_on(cb: Callback) -> date | None:
    """The China date of the call."""
    return to_cst(cb.called_at).date() if cb.called_at else None


def lookback(day: date) -> tuple[date, date]:
    """The period a household is asked about: the last N months up to the day of the call."""
    return day - relativedelta(months=current_app.config["CALLBACK_LOOKBACK_MONTHS"]), day


def sample(user, month: str, township_id: int | None = None, state: str | None = None) -> Select:
    """The month's sampled households the user may see (state: pending, reached, unreached)."""
    stmt = (scoped(sa.select(Callback), user)
            .where(Callback.month == month)
            .join(Household, Household.id == Callback.household_id)
            .options(joinedload(Callback.household).joinedload(Household.village),
                     joinedload(Callback.household).joinedload(Household.township),
                     joinedload(Callback.cadre).joinedload(Cadre.unit))
            .order_by(Callback.township_id, Household.village_id, Household.head_name, Callback.id))
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    if state == "pending":
        stmt = stmt.where(Callback.called_at.is_(None))
    elif state == "reached":
        stmt = stmt.where(Callback.reached.is_(True))
    elif state == "unreached":
        stmt = stmt.where(Callback.reached.is_(False))
    return stmt


def months_drawn(user) -> list[str]:
    """Months with a sample the user can see, newest first."""
    return db.session.scalars(scoped(sa.select(Callback.month).distinct(), user, Callback)
                              .order_by(Callback.month.desc())).all()


@dataclass
class Draw:
    month: str
    households: int
    seed: int | None
    drawn_at: object


def draw_of(month: str) -> Draw | None:
    """The district's draw for a month (count, seed, when), or None if not drawn yet."""
    n, seed, at = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Callback.seed), sa.func.min(Callback.drawn_at))
        .where(Callback.month == month)).one()
    return Draw(month, n, seed, at) if n else None


# -- mismatches -------------------------------------------------------------------------------

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


# -- the bulletin -----------------------------------------------------------------------------

@dataclass
class Tally:
    key: int | None
    name: str
    sampled: int = 0
    called: int = 0
    reached: int = 0
    #: reached households that gave a satisfaction answer
    answered: int = 0
    satisfied: int = 0
    mostly: int = 0
    unsatisfied: int = 0
    mismatches: int = 0

    @property
    def reach_rate(self) -> float | None:
        return self.reached / self.called if self.called else None

    @property
    def satisfaction_rate(self) -> float | None:
        """(满意 + 基本满意) / answered."""
        return sum(getattr(self, s.value) for s in Satisfaction.content()) / self.answered if self.answered else None


@dataclass
class Bulletin:
    month: str
    total: Tally
    townships: list[Tally]
    units: list[Tally]
    mismatches: list[Mismatch]


def _tallies(user, month: str, township_id: int | None, key, name, join) -> list[Tally]:
    reached = Callback.reached.is_(True)
    stmt = (scoped(sa.select(
        key.label("key"), name.label("name"), sa.func.count(), sa.func.count(Callback.called_at),
        sa.func.count().filter(reached),
        sa.func.count().filter(reached, Callback.satisfaction.is_not(None)),
        *[sa.func.count().filter(reached, Callback.satisfaction == s) for s in Satisfaction]), user, Callback)
        .where(Callback.month == month))
    for target, on in join:
        stmt = stmt.join(target, on)
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    stmt = stmt.group_by(key, name).order_by(name)
    return [Tally(*row) for row in db.session.execute(stmt)]


def bulletin(user, month: str, township_id: int | None = None) -> Bulletin:
    """The month's 通报: sampled, reached, satisfaction per township and per unit, mismatches."""
    townships = _tallies(user, month, township_id, Callback.township_id, Township.name,
                         [(Township, Township.id == Callback.township_id)])
    units = _tallies(user, month, township_id, Cadre.unit_id, Unit.name,
                     [(Cadre, Cadre.id == Callback.cadre_id), (Unit, Unit.id == Cadre.unit_id)])
    found = mismatches(user, [month], township_id)
    per_township, per_unit = defaultdict(int), defaultdict(int)
    for m in found:
        per_township[m.callback.township_id] += 1
        per_unit[m.callback.cadre.unit_id] += 1
    for t in townships:
        t.mismatches = per_township[t.key]
    for u in units:
        u.mismatches = per_unit[u.key]
    total = Tally(None, "")
    for t in townships:
        for attr in ("sampled", "called", "reached", "answered", "satisfied", "mostly", "unsatisfied", "mismatches"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    return Bulletin(month, total, townships, units, found)


# -- the export's 回访 sheet --------------------------------------------------------------------

SHEET_HEADERS = ["月份", "乡镇", "村", "户主姓名", "联系电话", "帮扶干部", "干部单位", "回访时间", "是否接通",
                 "干部近三个月是否走访", "自述走访次数", "诉求是否解决", "满意度", "备注", "与走访记录不符",
                 "记录的走访日期"]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def callback_sheet(user, year: int, township_id: int | None = None, *,
                   full_ids: bool = False) -> tuple[list[str], Iterator[list]]:
    """The export's 回访 sheet for a year: its headers and one row per sampled household.

    Phones are masked unless full_ids. Text cells are plain str (the writer must write them as
    text); counts are int; an unanswered question is an empty string.
    """
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    stmt = (scoped(sa.select(Callback.id, Callback.month, Township.name, Village.name, Household.head_name,
                             Household.phone, Cadre.name, Unit.name, Callback.called_at, Callback.reached,
                             Callback.cadre_visited, Callback.visits_claimed, Callback.demand_resolved,
                             Callback.satisfaction, Callback.remark), user, Callback)
            .join(Household, Household.id == Callback.household_id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Callback.township_id)
            .join(Cadre, Cadre.id == Callback.cadre_id)
            .join(Unit, Unit.id == Cadre.unit_id)
            .where(Callback.month.in_(months))
            .order_by(Callback.month, Township.name, Village.name, Household.head_name, Callback.id))
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    found = {m.callback.id: m for m in mismatches(user, months, township_id)}

    def rows() -> Iterator[list]:
        for (cid, month, township, village, head, phone, cadre, unit, called_at, reached, visited, claimed,
             resolved, satisfaction, remark) in db.session.execute(stmt.execution_options(yield_per=1000)):
            m = found.get(cid)
            yield [month, township, village, head, (phone or "") if full_ids else mask_phone(phone), cadre, unit,
                   to_cst(called_at).strftime("%Y-%m-%d %H:%M") if called_at else "", _yes_no(reached),
                   visited.zh if visited else "", claimed if claimed is not None else "",
                   resolved.zh if resolved else "", satisfaction.zh if satisfaction else "", remark or "",
                   "是" if m else "", "、".join(v.visited_on.isoformat() for v in m.visits) if m else ""]

    return list(SHEET_HEADERS), rows()
