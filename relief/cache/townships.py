"""Figures kept per township (a province's hundreds), each under its own counters, and brought up
to date from the visits added since (township_delta) instead of being computed again."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from flask import g, has_request_context

from relief.models import DataVersion, TownshipDelta

from .counters import _ALL_KEY, DISTRICT
from .store import _MISSING, figure_cache

_VERSIONS = DataVersion.__table__
_DELTAS = TownshipDelta.__table__
_ALL_VERSIONS = sa.select(_VERSIONS.c.scope, _VERSIONS.c.version)
_wall = time.time  # when a value brought up to date by visits was first computed (shared by processes)


def all_versions() -> dict[int, int]:
    """{scope: counter} of every counter, read once per request (until the request writes): the
    parts of a page read them before computing, and a page reads them for several parts."""
    from relief.extensions import db

    if not has_request_context():
        return dict(db.session.execute(_ALL_VERSIONS).all())
    versions = g.get(_ALL_KEY)
    if versions is None:
        versions = g.setdefault(_ALL_KEY, dict(db.session.execute(_ALL_VERSIONS).all()))
    return versions


class _Born:
    """A value of cached_by_township(..., added=...) with the wall-clock time past which it is
    computed again, visits taken in or not (a write made outside SQLAlchemy is seen by then)."""

    __slots__ = ("value", "until")

    def __init__(self, value, until: float):
        self.value, self.until = value, until

    def __getstate__(self):
        return (self.value, self.until)

    def __setstate__(self, state):
        self.value, self.until = state


def cached_by_township(name: str, townships: Sequence[int], parts: tuple,
                       compute: Callable[[list[int] | None], dict[int, object]], *,
                       counter: Callable[[int], int] | None = None,
                       added: Callable[[dict[int, object], dict[int, list[int]]], dict[int, object]] | None = None,
                       ) -> dict[int, object]:
    """{township id: value} for these townships, each kept under its own counters (its own and
    scope 0's): only the townships written to since their value was kept are computed again, all
    in one call of `compute(ids)` (ids None: every township is due, compute them all). `compute`
    returns a value for every id it is given. One query reads the counters. `counter`: the
    township's counter the value is kept under instead of its own, for a value that reads fewer
    rows: beside_visits (it reads no visit: a visit written does not renew it) or holiday_visits
    (it reads only 慰问 visits).

    `added(values, visits)`: for a value that visits change in a way it can take in, the values
    of the townships written to since (as kept) with the ids of the visits added to each since
    then; it returns their values as they are now. It is used for the townships whose every
    write since was a flush adding visits and nothing else (township_delta); the others are
    computed. A value is computed afresh at least every CACHE_SECONDS (half of it to all). (Only
    with a township's own counter: the visits say which of its versions they are.)"""
    assert added is None or counter is None
    versions = all_versions()  # read before computing, as cached() does
    district = versions.get(DISTRICT, 0)
    cache = figure_cache().townships
    values, due = {}, []

    def version(tid):
        return (versions.get(tid if counter is None else counter(tid), 0), district)

    now = _wall()
    for tid in townships:
        value = cache.get((name, tid, *parts), version(tid))
        if value is _MISSING or (added is not None and value.until < now):
            due.append(tid)
        else:
            values[tid] = value.value if added is not None else value
    if due and added is not None:
        taken = _take_in(cache, name, parts, due, versions, added, now)
        values.update(taken)
        due = [tid for tid in due if tid not in taken]
    if due:
        fresh = compute(None if len(due) == len(townships) else due)
        until = now + cache.seconds * random.uniform(0.5, 1.0)
        for tid in due:
            values[tid] = fresh[tid]
            cache.put((name, tid, *parts), version(tid), fresh[tid] if added is None else _Born(fresh[tid], until))
    return values


def _take_in(cache, name, parts, due, versions, added, now) -> dict[int, object]:
    """The values of the `due` townships that can be brought up to date by `added`, brought."""
    kept: dict[int, tuple[int, _Born]] = {}
    district = versions.get(DISTRICT, 0)
    for tid in due:
        entry = cache.latest((name, tid, *parts))
        if entry is _MISSING:
            continue
        (own, of_district), value = entry
        if of_district == district and own < versions.get(tid, 0) and isinstance(value, _Born) and value.until >= now:
            kept[tid] = (own, value)
    visits = _visits_added(kept, versions)
    if not visits:
        return {}
    fresh = added({tid: kept[tid][1].value for tid in visits}, visits)
    for tid in visits:
        cache.put((name, tid, *parts), (versions[tid], district), _Born(fresh[tid], kept[tid][1].until))
    return {tid: fresh[tid] for tid in visits}


def _visits_added(kept: dict[int, tuple[int, object]], versions: dict[int, int]) -> dict[int, list[int]]:
    """{township id: ids of the visits added since the version its value was kept under} of the
    townships whose every version since is one of visits added (township_delta has each)."""
    if not kept:
        return {}
    memo = g.setdefault("relief_visits_added", {}) if has_request_context() else {}
    asked = tuple(sorted((tid, own, versions[tid]) for tid, (own, _v) in kept.items()))
    if asked not in memo:  # the page's parts that take visits in ask for the same ones
        memo.clear()
        memo[asked] = _read_visits_added(kept, versions)
    return memo[asked]


def _read_visits_added(kept, versions) -> dict[int, list[int]]:
    from relief.extensions import db

    d = _DELTAS.c
    stmt = sa.select(d.township_id, d.version, d.visit_id).where(sa.or_(*(
        sa.and_(d.township_id == tid, d.version > own, d.version <= versions[tid]) for tid, (own, _v) in kept.items())))
    found: dict[int, tuple[set[int], list[int]]] = {}
    for tid, version, visit_id in db.session.execute(stmt):
        seen, ids = found.setdefault(tid, (set(), []))
        seen.add(version)
        ids.append(visit_id)
    return {tid: sorted(ids) for tid, (seen, ids) in found.items()
            if len(seen) == versions[tid] - kept[tid][0]}
