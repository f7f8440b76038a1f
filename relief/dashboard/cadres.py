"""The dashboard's cadre table: each cadre with an active pairing in view, their households,
last visit, visits this year and overdue households, sortable, one page at a time."""
from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre, Household, Pairing, PairingKind, Unit, Visit
from relief.reports.dashboard import contacts, narrowed
from relief.scope import condition, scoped


@dataclass
class CadreRow:
    id: int
    name: str
    unit: str
    households: int
    last_visit: date | None
    visits_year: int
    overdue: int


#: the cadre table's sortable columns, as the `sort` query parameter names them
CADRE_SORTS = ("overdue", "households", "last_visit", "visits", "name")


def cadre_table(user, year: int, today: date, township_id=None, sort: str = "overdue", descending: bool = True,
                page: int = 1, per_page: int = 30) -> tuple[list[CadreRow], int]:
    """Cadres with an active pairing in scope: households, last visit, visits this year, overdue households."""
    paired_here = None
    if condition(Pairing, user) is not None or township_id:
        paired_here = narrowed(sa.select(Pairing.household_id).where(Pairing.kind == PairingKind.HOUSEHOLD,
                                                                   Pairing.ended_on.is_(None)),
                             Pairing, user, Pairing.township_id, township_id)
    c = contacts(today, paired_here)
    households = narrowed(
        sa.select(Pairing.cadre_id.label("cadre_id"), sa.func.count(sa.distinct(Pairing.household_id)).label("n"),
                  sa.func.count(sa.distinct(Pairing.household_id)).filter(c.overdue(Pairing.household_id))
                  .label("overdue"))
        .join(Household, Household.id == Pairing.household_id)
        .outerjoin(c.active, c.active.c.hid == Pairing.household_id)
        .outerjoin(c.recent, c.recent.c.hid == Pairing.household_id)
        .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None)).group_by(Pairing.cadre_id),
        Pairing, user, Pairing.township_id, township_id).subquery()
    visits = narrowed(
        sa.select(Visit.cadre_id.label("cadre_id"), sa.func.max(Visit.visited_on).label("last"),
                  sa.func.count().filter(Visit.visited_on.between(date(year, 1, 1), date(year, 12, 31))).label("n"))
        .group_by(Visit.cadre_id), Visit, user, Visit.township_id, township_id).subquery()
    active = sa.select(Pairing.cadre_id).where(Pairing.ended_on.is_(None))
    if township_id:
        active = active.where(Pairing.township_id == township_id)
    columns = {"households": sa.func.coalesce(households.c.n, 0), "last_visit": visits.c["last"],
               "visits": sa.func.coalesce(visits.c.n, 0), "overdue": sa.func.coalesce(households.c.overdue, 0),
               "name": Cadre.name}
    stmt = narrowed(sa.select(Cadre.id, Cadre.name, Unit.name, columns["households"], columns["last_visit"],
                            columns["visits"], columns["overdue"])
                  .join(Unit, Unit.id == Cadre.unit_id)
                  .outerjoin(households, households.c.cadre_id == Cadre.id)
                  .outerjoin(visits, visits.c.cadre_id == Cadre.id)
                  .where(Cadre.id.in_(active)), Cadre, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    key = columns[sort if sort in columns else "overdue"]
    order = key.desc().nulls_last() if descending else key.asc().nulls_first()
    rows = db.session.execute(stmt.order_by(order, Cadre.name, Cadre.id)
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [CadreRow(*row) for row in rows], total


# -- the district's cadre table, from per-township parts ------------------------------------

class CadrePart(NamedTuple):
    """One cadre's figures in one township: what the district's row of the cadre sums (a tuple:
    a province has 38,000, made again for the few hundred of a township after each write)."""

    households: int
    overdue: int
    last_visit: date | None
    visits_year: int
    active: bool  # an active pairing (of any kind) in this township


def _households_of_cadres(c):
    """SELECT township, cadre, households, overdue households of the active household pairings,
    grouped by township and cadre, with the contacts `c`."""
    return (sa.select(Pairing.township_id, Pairing.cadre_id, sa.func.count(sa.distinct(Pairing.household_id)),
                      sa.func.count(sa.distinct(Pairing.household_id)).filter(c.overdue(Pairing.household_id)))
            .outerjoin(c.active, c.active.c.hid == Pairing.household_id)
            .outerjoin(c.recent, c.recent.c.hid == Pairing.household_id)
            .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))
            .group_by(Pairing.township_id, Pairing.cadre_id))


def cadre_parts(user, year: int, today: date, townships: list[int] | None = None) -> dict[int, dict[int, CadrePart]]:
    """{township id: {cadre id: CadrePart}} of these townships (None: all): a cadre's households
    and overdue households of the township's pairings, visits of the township's visits."""
    c = contacts(today, scoped(sa.select(Household.id), user, Household) if condition(Household, user) is not None
                 else None, townships)
    households = narrowed(_households_of_cadres(c), Pairing, user, Pairing.township_id, townships)
    visits = narrowed(
        sa.select(Visit.township_id, Visit.cadre_id, sa.func.max(Visit.visited_on),
                  sa.func.count().filter(Visit.visited_on.between(date(year, 1, 1), date(year, 12, 31))))
        .group_by(Visit.township_id, Visit.cadre_id), Visit, user, Visit.township_id, townships)
    active = narrowed(sa.select(Pairing.township_id, Pairing.cadre_id).where(Pairing.ended_on.is_(None)).distinct(),
                      Pairing, user, Pairing.township_id, townships)
    # side by side in the database, one row per township and cadre (a province: 90,000 of the
    # 150,000 grouped rows), each figure a grouping lacks a NULL
    h, v, a = (q.subquery() for q in (households, visits, active))
    none, no_day = sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), sa.Date)
    each = sa.union_all(
        sa.select(h.c[0].label("tid"), h.c[1].label("cid"), h.c[2].label("n"), h.c[3].label("overdue"),
                  no_day.label("last"), none.label("visits"), none.label("active")),
        sa.select(v.c[0], v.c[1], none, none, v.c[2], v.c[3], none),
        sa.select(a.c[0], a.c[1], none, none, no_day, none, sa.literal(1))).subquery()
    zero = lambda column: sa.func.coalesce(sa.func.max(column), 0)  # noqa: E731
    stmt = (sa.select(each.c.tid, each.c.cid, zero(each.c.n), zero(each.c.overdue), sa.func.max(each.c["last"]),
                      zero(each.c.visits), sa.func.max(each.c.active).is_not(None))
            .group_by(each.c.tid, each.c.cid))
    parts: dict[int, dict[int, CadrePart]] = {tid: {} for tid in townships or ()}
    make = CadrePart._make
    # plain rows, fetched at once (no ORM loading, no fetch per row for a province's 90,000)
    for row in db.session.connection().execute(stmt).all():
        (parts.get(row[0]) or parts.setdefault(row[0], {}))[row[1]] = make(row[2:])
    return parts


def visits_added(year: int, today: date, kept: dict[int, dict[int, CadrePart]],
                 visits: dict[int, list[int]]) -> dict[int, dict[int, CadrePart]]:
    """cadre_parts of these townships after `visits` (ids, each township's) were added to what
    `kept` holds (a viewer who sees everything): the visiting cadre's last visit and visits of
    the year from the visit itself, and the overdue households of the cadres paired with the
    households visited counted again for those households alone, before and after."""
    ids = sorted(v for vs in visits.values() for v in vs)
    parts = {tid: dict(kept[tid]) for tid in visits}  # new dicts: MergedCadres sees which changed
    households: set[int] = set()
    connection = db.session.connection()
    for tid, cid, hid, day in connection.execute(sa.select(Visit.township_id, Visit.cadre_id, Visit.household_id,
                                                           Visit.visited_on).where(Visit.id.in_(ids))):
        if tid not in parts:
            continue
        p = parts[tid].get(cid) or CadrePart(0, 0, None, 0, False)
        parts[tid][cid] = p._replace(last_visit=day if p.last_visit is None or day > p.last_visit else p.last_visit,
                                     visits_year=p.visits_year + (day.year == year))
        if hid is not None:
            households.add(hid)
    if households:
        townships = sorted(visits)
        before, after = ({(tid, cid): overdue for tid, cid, _n, overdue in connection.execute(
            _households_of_cadres(contacts(today, sorted(households), townships, without))
            .where(Pairing.household_id.in_(sorted(households)), Pairing.township_id.in_(townships)))}
            for without in (ids, ()))
        for tid, cid in before.keys() | after.keys():
            change = after.get((tid, cid), 0) - before.get((tid, cid), 0)
            if change:
                p = parts[tid].get(cid) or CadrePart(0, 0, None, 0, False)
                parts[tid][cid] = p._replace(overdue=p.overdue + change)
    return parts


def cadre_names(user) -> dict[int, tuple[str, str]]:
    """{cadre id: (name, unit name)} of every cadre in view."""
    stmt = scoped(sa.select(Cadre.id, Cadre.name, Unit.name).join(Unit, Unit.id == Cadre.unit_id), user, Cadre)
    return {cid: (name, unit) for cid, name, unit in db.session.connection().execute(stmt).all()}


def _merged_row(cid: int, names: dict[int, tuple[str, str]], parts_of_cadre) -> list:
    """[id, name, unit, households, last visit, visits, overdue, active anywhere] of one cadre:
    its figures summed over its townships' parts (the latest visit the latest of them)."""
    row = [cid, *names[cid], 0, None, 0, 0, False]
    for p in parts_of_cadre:
        _add_part(row, p)
    return row


def _add_part(row: list, p: CadrePart) -> None:
    """Take one township's part of a cadre into the cadre's merged row."""
    row[3] += p.households
    row[6] += p.overdue
    row[5] += p.visits_year
    if p.last_visit is not None and (row[4] is None or p.last_visit > row[4]):
        row[4] = p.last_visit
    row[7] = row[7] or p.active


def _order_key(column: int, descending: bool):
    """One key giving cadre_table's order on a column (then name, then id), for heapq; None for
    the name column descending (a string cannot be negated: sorted twice instead)."""
    if column == 4:  # the last visit: NULL (no visit) last when descending, first when not
        if descending:
            return lambda r: (0, -r[4].toordinal(), r[1], r[0]) if r[4] is not None else (1, 0, r[1], r[0])
        return lambda r: (1, r[4].toordinal(), r[1], r[0]) if r[4] is not None else (0, 0, r[1], r[0])
    if column == 1:
        return None if descending else (lambda r: (r[1], r[0]))
    return (lambda r: (-r[column], r[1], r[0])) if descending else (lambda r: (r[column], r[1], r[0]))


def _table_page(rows, sort: str, descending: bool, page: int, per_page: int) -> tuple[list[CadreRow], int]:
    """cadre_table's order and page of merged rows (those active anywhere)."""
    rows = [r for r in rows if r[7]]
    column = {"households": 3, "last_visit": 4, "visits": 5, "overdue": 6, "name": 1}[
        sort if sort in CADRE_SORTS else "overdue"]
    start = (max(page, 1) - 1) * per_page
    key = _order_key(column, descending)
    if key is not None:
        # the first pages of thousands of cadres: a heap of start + per_page rows, not a sort of all
        chosen = heapq.nsmallest(start + per_page, rows, key=key)[start:]
    else:
        rows.sort(key=lambda r: (r[1], r[0]))
        rows.sort(key=lambda r: r[1], reverse=True)  # stable: equal names keep the id order
        chosen = rows[start:start + per_page]
    return [CadreRow(*r[:7]) for r in chosen], len(rows)


def merged_cadre_table(parts, names: dict[int, tuple[str, str]], sort: str = "overdue", descending: bool = True,
                       page: int = 1, per_page: int = 30) -> tuple[list[CadreRow], int]:
    """cadre_table of the whole district from the townships' parts (an iterable of cadre_parts'
    values) and cadre_names: each cadre with an active pairing anywhere, its figures summed over
    the townships (the latest visit the latest of them), in cadre_table's order."""
    of_cadre: dict[int, list[CadrePart]] = {}
    for township in parts:
        for cid, p in township.items():
            of_cadre.setdefault(cid, []).append(p)
    return _table_page([_merged_row(cid, names, ps) for cid, ps in of_cadre.items()], sort, descending, page, per_page)


#: a rank of (name, id) fits below it: a sort key is one int, (column's key) * _RANKS + rank
_RANKS = 10_000_000


def _int_key(column: int, descending: bool, rank: dict[int, int]):
    """_order_key as one int (fast to sort and to bisect): the column's order, then name and id
    as the cadre's rank among all cadres by (name, id)."""
    if column == 4:
        if descending:  # a visit before none, the latest first
            return lambda r: ((1_000_000 - r[4].toordinal()) if r[4] is not None else 2_000_000) * _RANKS + rank[r[0]]
        return lambda r: (r[4].toordinal() if r[4] is not None else 0) * _RANKS + rank[r[0]]
    if column == 1:
        return None if descending else (lambda r: rank[r[0]])
    if descending:
        return lambda r: -r[column] * _RANKS + rank[r[0]]
    return lambda r: r[column] * _RANKS + rank[r[0]]


class MergedCadres:
    """merged_cadre_table kept up to date in this process: given the townships' parts again, only
    the cadres of the townships whose part is a new one (computed again since) are merged again,
    and moved in the orders asked for so far (each a sorted list of int keys, _int_key, of the
    cadres active anywhere). A province's 38,000 cadres are merged and sorted once; after a write
    to a township, its few hundred are."""

    def __init__(self):
        self._lock = threading.Lock()
        self._parts: dict[int, dict[int, CadrePart]] = {}
        self._names = None
        self._rank: dict[int, int] = {}
        self._by_rank: list[int] = []
        self._where: dict[int, set[int]] = {}  # cadre id -> the townships whose part has the cadre
        self._rows: dict[int, list] = {}
        self._orders: dict[tuple[int, bool], tuple[Callable, list, dict]] = {}  # -> (key, [key], {id: key})

    def table(self, parts: dict[int, dict[int, CadrePart]], names, sort: str = "overdue", descending: bool = True,
              page: int = 1, per_page: int = 30) -> tuple[list[CadreRow], int]:
        column = {"households": 3, "last_visit": 4, "visits": 5, "overdue": 6, "name": 1}[
            sort if sort in CADRE_SORTS else "overdue"]
        with self._lock:
            self._update(parts, names)
            key = _int_key(column, descending, self._rank)
            if key is None:
                return _table_page(list(self._rows.values()), sort, descending, page, per_page)
            if (column, descending) not in self._orders:
                keys = {cid: key(r) for cid, r in self._rows.items() if r[7]}
                self._orders[(column, descending)] = (key, sorted(keys.values()), keys)
            _key, order, _keys = self._orders[(column, descending)]
            start = (max(page, 1) - 1) * per_page
            return [CadreRow(*self._rows[self._by_rank[k % _RANKS]][:7]) for k in order[start:start + per_page]], \
                len(order)

    def _rebuild(self, parts, names) -> None:
        """Merge every township's part (after most of them changed, or the names did)."""
        if names is not self._names and names != self._names:  # the ranks follow the names alone
            self._by_rank = [cid for _name, cid in sorted(zip([name for name, _unit in names.values()], names))]
            self._rank = dict(zip(self._by_rank, range(len(self._by_rank))))
        self._parts, self._names, self._orders = dict(parts), names, {}
        where: dict[int, set[int]] = {}
        rows: dict[int, list] = {}
        for tid, part in parts.items():
            for cid, p in part.items():
                row = rows.get(cid)
                if row is None:  # most cadres work in one township
                    rows[cid] = _merged_row(cid, names, (p,))
                    where[cid] = {tid}
                else:
                    _add_part(row, p)
                    where[cid].add(tid)
        self._where, self._rows = where, rows

    def _update(self, parts, names) -> None:
        changed = [tid for tid in parts.keys() | self._parts.keys() if parts.get(tid) is not self._parts.get(tid)]
        if names is not self._names or len(changed) * 2 > len(parts):
            self._rebuild(parts, names)
            return
        cadres: set[int] = set()
        for tid in changed:
            old, new = self._parts.pop(tid, {}), parts.get(tid)
            for cid in old.keys() - (new or {}).keys():
                self._where[cid].discard(tid)
            for cid in (new or {}):
                self._where.setdefault(cid, set()).add(tid)
            if new is not None:
                self._parts[tid] = new
            # a part computed again is mostly the same: a visit changes one cadre's figures
            cadres.update(cid for cid in old.keys() | (new or {}).keys() if old.get(cid) != (new or {}).get(cid))
        for cid in cadres:
            tids = self._where.get(cid)
            if tids:
                self._rows[cid] = _merged_row(cid, names, [self._parts[t][cid] for t in tids])
            else:
                self._where.pop(cid, None)
                self._rows.pop(cid, None)
        for key, order, keys in self._orders.values():
            was = [keys.pop(cid) for cid in cadres if cid in keys]
            fresh = {cid: key(row) for cid in cadres if (row := self._rows.get(cid)) is not None and row[7]}
            if len(cadres) > 64:
                # many: one pass drops the old keys, and a sort merges the two sorted runs
                gone = set(was)
                order[:] = [k for k in order if k not in gone]
                order.extend(sorted(fresh.values()))
                order.sort()
            else:
                for k in was:
                    del order[bisect.bisect_left(order, k)]
                for k in fresh.values():
                    bisect.insort(order, k)
            keys.update(fresh)
