"""Figures kept between requests, keyed by the database's data version so every process agrees.

Writing: every write made through SQLAlchemy to a table that figures are read from raises, in
the same transaction, the counter of the township it touches (data_version; scope 0 for rows of
no township, and for statements whose rows do not say their township). ORM flushes name their
townships; bulk and Core INSERT/UPDATE/DELETE statements name those of their rows' township_id.

Reading: `cached(name, scope, parts, compute)` reads the counters first (one query), then returns
the entry kept under the same counters, or computes and keeps it. The counters of a township are
its own and scope 0; a cadre's are those of the townships the cadre works in; the district's are
the sum of all. So a write anywhere renews the district's figures, and a write in one township
only that township's. Entries also expire after CACHE_SECONDS, which bounds how long a write made
outside SQLAlchemy (psql) can go unseen. Entries live in the process (app.extensions) and, with
RELIEF_REDIS_URL, in Redis too, so one app server computes what the others then read. Redis keys
carry a hash of the release (code, templates, translations): an app server never reads what
another release kept, whose wording or pickled classes may differ, even while both run during a
rolling deploy.
"""
from __future__ import annotations

import hashlib
import pickle
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from relief.models import DataVersion
from relief.models.base import utcnow

#: tables whose rows no cached figure reads: writing them renews nothing
UNTRACKED = frozenset({"audit_event", "user_session", "api_token", "user_account", "data_version", "visit_photo",
                       "project_photo", "rate_limit"})


def _tracked(table) -> bool:
    """A table of the domain model that figures read (not Alembic's own, not the untracked above)."""
    name = getattr(table, "name", None)
    return name is not None and name not in UNTRACKED and name in DataVersion.metadata.tables


DISTRICT = 0
_clock = time.monotonic  # the age of entries (tests move it)
_MISSING = object()


# -- writing: raise the counters ------------------------------------------------------------

def _scopes_of(obj) -> set[int]:
    """The townships a changed row belongs to, before and after the change; 0 when it has none."""
    table = obj.__table__.name
    state = sa.inspect(obj)
    if table == "township":
        return {state.identity[0]} if state.identity else {DISTRICT}
    if "township_id" not in state.attrs:
        return {DISTRICT}
    hist = state.attrs.township_id.history
    ids = {t for t in (*hist.added, *hist.unchanged, *hist.deleted) if t}
    return ids or {DISTRICT}


#: the table written most (20 a second on a province). A township has two more counters, for
#: figures that read fewer rows: one raised by every write but a visit's (beside_visits), one by
#: every write but a visit's that is not, and was not, of a holiday kind (holiday_visits)
VISITS = "visit"
_HOLIDAY_SCOPES = 2 ** 30  # the holiday counters' scopes lie beyond every township id's negative


def beside_visits(township_id: int) -> int:
    """The scope of a township's counter of writes to tables other than visit."""
    return -township_id


def holiday_visits(township_id: int) -> int:
    """The scope of a township's counter of writes other than of visits of no holiday kind."""
    return -(_HOLIDAY_SCOPES + township_id)


def _holiday_kinds() -> frozenset[str]:
    from relief.models import VisitKind

    return frozenset(k.value for k in VisitKind.holiday_kinds())


def _may_be_holiday(kinds) -> bool:
    """Whether visits of these kinds (values or enums; none known: unsure) may be 慰问 visits."""
    kinds = [getattr(k, "value", k) for k in kinds]
    return not kinds or any(k is None or k in _holiday_kinds() for k in kinds)


def _with_beside(scopes: set[int], table: str, kinds=()) -> set[int]:
    """`scopes`, and their townships' other counters that the write raises: for a visit, the
    holiday counter if the visit's kinds (before and after) may be holiday ones; for any other
    row, both."""
    townships = [t for t in scopes if t > 0]
    if table == VISITS:
        return scopes | {holiday_visits(t) for t in townships} if _may_be_holiday(kinds) else scopes
    return scopes | {beside_visits(t) for t in townships} | {holiday_visits(t) for t in townships}


def _kinds_of(obj) -> list:
    """The kinds a changed visit had and has (empty when they are not loaded: unsure)."""
    if obj.__table__.name != VISITS:
        return []
    hist = sa.inspect(obj).attrs.kind.history
    return [*hist.added, *hist.unchanged, *hist.deleted]


def _kinds_of_rows(parameters) -> list:
    rows = parameters if isinstance(parameters, (list, tuple)) else [parameters]
    return [row.get("kind") if isinstance(row, dict) else None for row in rows]


_BUMPS: dict[str, object] = {}


def _bump_statement(dialect: str):
    """INSERT (scope, 1) ... ON CONFLICT raise it by one: built once per dialect."""
    if dialect not in _BUMPS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = DataVersion.__table__
        _BUMPS[dialect] = (insert(table).values(scope=sa.bindparam("scope"), version=1)
                           .on_conflict_do_update(index_elements=[table.c.scope],
                                                  set_={"version": table.c.version + 1}))
    return _BUMPS[dialect]


def bump(connection, scopes) -> None:
    """Raise the counters of these scopes by one (creating them at 1), in the caller's transaction."""
    if scopes:
        if has_request_context():
            g.pop(_SUM_KEY, None)  # the sum read with the sign-in no longer tells this request's counters
        # sorted: concurrent writers take the row locks in the same order (no deadlock on PostgreSQL)
        connection.execute(_bump_statement(connection.dialect.name), [{"scope": s} for s in sorted(scopes)])


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx) -> None:
    scopes: set[int] = set()
    for dirty, objs in ((False, session.new), (True, session.dirty), (False, session.deleted)):
        for obj in objs:
            if not _tracked(getattr(obj, "__table__", None)):
                continue
            if dirty and not session.is_modified(obj, include_collections=False):
                continue
            scopes |= _with_beside(_scopes_of(obj), obj.__table__.name, _kinds_of(obj))
    bump(session.connection(), scopes)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state) -> object:
    """An ORM bulk INSERT/UPDATE/DELETE (`insert(Model)`, ...) through the session: raise the
    townships an insert's rows name, else 0. (A Core statement on a table is seen below.)"""
    if not state.is_orm_statement or not (state.is_insert or state.is_update or state.is_delete):
        return None
    if not _tracked(getattr(state.statement, "table", None)):
        return None
    result = state.invoke_statement()
    bump(state.session.connection(), _with_beside(_scopes_of_insert(state.parameters) if state.is_insert else {DISTRICT},
                                                  state.statement.table.name, _kinds_of_rows(state.parameters)))
    return result


@event.listens_for(Engine, "after_execute")
def _core_statement(conn, clauseelement, multiparams, params, execution_options, result) -> None:
    """A Core INSERT/UPDATE/DELETE on any engine, outside the ORM (which reports its own above)."""
    if "compiled_cache" in execution_options or not getattr(clauseelement, "is_dml", False):
        return  # the ORM's flush and bulk writes pass the mapper's compiled_cache: handled above
    if not _tracked(getattr(clauseelement, "table", None)):
        return
    bump(conn, _with_beside(_scopes_of_insert(multiparams or params) if clauseelement.is_insert else {DISTRICT},
                            clauseelement.table.name, _kinds_of_rows(multiparams or params)))


def _scopes_of_insert(parameters) -> set[int]:
    """The townships an INSERT's rows name (township_id); 0 when any row names none. (An UPDATE or
    DELETE may move or remove rows of any township: those raise 0.)"""
    rows = parameters if isinstance(parameters, (list, tuple)) else [parameters]
    scopes = set()
    for row in rows:
        township = row.get("township_id") if isinstance(row, dict) else None
        if not township:
            return {DISTRICT}
        scopes.add(township)
    return scopes or {DISTRICT}


# -- reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CadreScope:
    """What one cadre sees: the townships of the cadre's active pairings and open demands."""

    cadre_id: int


_VERSIONS = DataVersion.__table__
# Built once: read on every request that a cached page answers.
_TOWNSHIP_VERSION = (sa.select(_VERSIONS.c.scope, _VERSIONS.c.version)
                     .where(_VERSIONS.c.scope.in_((DISTRICT, sa.bindparam("township_id")))))
_DISTRICT_VERSION = sa.select(sa.func.coalesce(sa.func.sum(_VERSIONS.c.version), 0))


def _cadre_version_statement():
    from relief.models import (
        Demand,
        DemandStatus,
        LeadStatus,
        Measure,
        MonitorCase,
        Pairing,
        RiskLead,
    )

    cadre = sa.bindparam("cadre_id")
    townships = sa.union(
        sa.select(Pairing.township_id).where(Pairing.cadre_id == cadre, Pairing.ended_on.is_(None)),
        sa.select(Demand.township_id).where(Demand.owner_id == cadre,
                                            Demand.status.in_(DemandStatus.open_statuses())),
        # the cadre's 防返贫 work (monitoring.figures.cadre_work) may lie outside the cadre's pairings
        sa.select(RiskLead.township_id).where(RiskLead.assignee_cadre_id == cadre, RiskLead.status == LeadStatus.OPEN),
        sa.select(MonitorCase.township_id).where(MonitorCase.holder_cadre_id == cadre),
        sa.select(MonitorCase.township_id).join(Measure, Measure.case_id == MonitorCase.id)
        .where(Measure.cadre_id == cadre, Measure.done_on.is_(None)))
    return (sa.select(_VERSIONS.c.scope, _VERSIONS.c.version)
            .where(sa.or_(_VERSIONS.c.scope == DISTRICT, _VERSIONS.c.scope.in_(townships)))
            .order_by(_VERSIONS.c.scope))


_CADRE_VERSION = _cadre_version_statement()


def data_version_sum_column():
    """The sum of every counter, as a column to read with another statement (the sign-in's)."""
    return sa.select(sa.func.coalesce(sa.func.sum(_VERSIONS.c.version), 0)).scalar_subquery().label("data_version_sum")


_SUM_KEY = "relief_data_version_sum"


def remember_data_version_sum(value: int) -> None:
    """The counters' sum as this request's transaction read it (with the sign-in, see
    relief.auth.services): `data_version` answers from it while the request writes nothing."""
    if has_request_context() and request.method in ("GET", "HEAD"):
        g.setdefault(_SUM_KEY, value)


def data_version(scope: int | None | CadreScope) -> tuple:
    """The counters behind what a scope shows: a township's (its own and scope 0), a cadre's (those
    of the townships the cadre works in, and 0), or the district's (the sum of all).

    Every counter only grows, so while the sum of all of them is the same, none has changed: a
    scope's counters read under the sum that the sign-in read this request are taken again without
    a query (kept per process with the figures, a few hundred scopes)."""
    from relief.extensions import db

    total = g.get(_SUM_KEY) if has_request_context() else None
    if total is not None and not scope:
        return ("district", total)
    known = figure_cache().versions if total is not None else None
    if known is not None:
        hit = known.get(scope)
        if hit is not None and hit[0] == total:
            return hit[1]
    if isinstance(scope, CadreScope):
        version = ("cadre", *db.session.execute(_CADRE_VERSION, {"cadre_id": scope.cadre_id}).all())
    elif scope:
        rows = dict(db.session.execute(_TOWNSHIP_VERSION, {"township_id": scope}).all())
        version = ("township", scope, rows.get(scope, 0), rows.get(DISTRICT, 0))
    else:
        return ("district", db.session.scalar(_DISTRICT_VERSION))
    if known is not None:
        # read after the sum (PostgreSQL reads each statement anew): as new as it, or newer
        if len(known) >= _KNOWN_SCOPES:
            known.clear()
        known[scope] = (total, version)
    return version


#: scopes whose counters are kept by the sum they were read under, per process
_KNOWN_SCOPES = 4096


@lru_cache(maxsize=1)
def release() -> str:
    """A short hash of what shapes a kept value: the code, the templates and the translations."""
    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("relief/**/*.py"), *root.glob("relief/translations/**/*.mo"), *root.glob("templates/**/*.html")]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class FigureCache:
    """A bounded LRU of (version, expiry, value) per key, in this process, optionally backed by Redis.

    With `spread`, each entry lives a random part of `seconds` (from half of it to all of it), so
    entries computed together (a province's townships, at the first read) expire apart, a few at a
    time, and never all in one request."""

    def __init__(self, entries: int, seconds: float, redis_url: str | None = None, release: str = "",
                 spread: bool = False, name: str = "figures"):
        self.entries, self.seconds, self.spread = entries, seconds, spread
        self._prefix = f"relief:{name}:{release}:"
        self._items: OrderedDict[Hashable, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self._redis = None
        self._redis_back_at = 0.0  # after a Redis error, this process leaves Redis alone for a while
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: Hashable, version: tuple):
        """The value kept under `key` for this version, else _MISSING."""
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] == version and _clock() <= item[1]:
                self._items.move_to_end(key)
                return item[2]
        shared = self._shared_get(key, version)
        if shared is not _MISSING:
            self._put_local(key, version, shared)
        return shared

    def put(self, key: Hashable, version: tuple, value) -> None:
        self._put_local(key, version, value)
        self._shared_put(key, version, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _put_local(self, key, version, value) -> None:
        with self._lock:
            lifetime = self.seconds * random.uniform(0.5, 1.0) if self.spread else self.seconds
            self._items[key] = (version, _clock() + lifetime, value)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def _redis_key(self, key) -> str:
        return self._prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def _redis_usable(self) -> bool:
        return self._redis is not None and _clock() >= self._redis_back_at

    def _redis_failed(self) -> None:
        self._redis_back_at = _clock() + 30

    def _shared_get(self, key, version):
        if not self._redis_usable():
            return _MISSING
        try:
            raw = self._redis.get(self._redis_key(key))
        except Exception:  # Redis is a helper: without it the figures are computed here
            self._redis_failed()
            return _MISSING
        if raw is None:
            return _MISSING
        try:
            stored_version, value = pickle.loads(raw)  # written by our own processes, of this release
        except Exception:  # unreadable all the same: compute it again, and overwrite it
            return _MISSING
        return value if stored_version == version else _MISSING

    def _shared_put(self, key, version, value) -> None:
        if not self._redis_usable():
            return
        try:
            self._redis.set(self._redis_key(key), pickle.dumps((version, value)), ex=max(int(self.seconds), 1))
        except Exception:
            self._redis_failed()


    def claim(self, key, seconds: float) -> bool:
        """Whether this process may do the work named `key` now: with Redis, at most one process
        in `seconds` gets True (SET NX EX); without it, every caller does (callers guard their own
        process)."""
        if not self._redis_usable():
            return True
        try:
            return bool(self._redis.set(self._redis_key(("claim", key)), b"1", nx=True, ex=max(int(seconds), 1)))
        except Exception:
            self._redis_failed()
            return True


def figure_cache() -> FigureCache:
    """This app's cache (one per app, so tests that empty the tables never see old entries)."""
    app = current_app._get_current_object()
    cache = app.extensions.get("relief_figures")
    if cache is None:
        redis_url = app.config.get("REDIS_URL")
        cache = app.extensions["relief_figures"] = FigureCache(
            app.config["CACHE_ENTRIES"], app.config["CACHE_SECONDS"], redis_url, release() if redis_url else "")
        # one entry per township and view: a province's thousands, apart from the pages' LRU
        cache.townships = FigureCache(app.config["TOWNSHIP_CACHE_ENTRIES"], app.config["CACHE_SECONDS"], redis_url,
                                      release() if redis_url else "", spread=True, name="townships")
        cache.versions = {}  # {scope: (sum of all counters, its counters)}, see data_version
        # values kept across writes while computing them is slow (kept_while_slow): a day at most
        cache.kept = FigureCache(app.config["CACHE_ENTRIES"], 86400, redis_url, release() if redis_url else "",
                                 name="kept")
    return cache


def cached(name: str, scope: int | None | CadreScope, parts: tuple, compute: Callable[[], object]):
    """The value of `compute()` for what a scope shows (a township id, None for the district, or a
    CadreScope), kept while the data behind it is unchanged. `parts` holds everything else the
    value depends on."""
    version = data_version(scope)  # read before computing: a later write is never hidden
    return _kept_under(figure_cache(), (name, scope or 0, *parts), version, compute)


def _kept_under(cache: FigureCache, key: Hashable, version: tuple, compute: Callable[[], object]):
    """The value kept under `key` for this version, or `compute()`'s, then kept."""
    value = cache.get(key, version)
    if value is _MISSING:
        value = compute()
        cache.put(key, version, value)
    return value


@dataclass(frozen=True)
class Kept:
    """A value of kept_while_slow: `as_of` is None when it was computed for the data as it is now,
    else when it was computed (UTC, naive): the data may have changed since."""

    value: object
    as_of: datetime | None = None


_refreshing: dict[Hashable, threading.Thread] = {}
_refreshing_lock = threading.Lock()
_wall = utcnow  # when a kept value was computed (tests move it)


def kept_while_slow(name: str, scope: int | None, parts: tuple, compute: Callable[[], object], *,
                    max_age: float, slow: float) -> Kept:
    """`compute()`'s value kept as cached() keeps it, exact for the data as it is; except when its
    last computation took `slow` seconds or more: then the value last computed is served even
    though data changed since (with the time it was computed, for the page to say), and computed
    again in a background thread once it is `max_age` seconds old (one process at a time; the
    value is served meanwhile). A small district's value is always exact; a province's does not
    hold every read after every write for seconds."""
    version = data_version(scope)
    key = (name, scope or 0, *parts)
    cache = figure_cache().kept
    entry = cache.get(key, ())
    if entry is not _MISSING:
        kept_version, value, at, took = entry
        if kept_version == version:
            return Kept(value)
        if took >= slow:
            if (_wall() - at).total_seconds() > max_age:
                _refresh(key, scope, compute, max_age)
            return Kept(value, at)
    return Kept(_compute_kept(cache, key, scope, compute, version))


def _compute_kept(cache, key, scope, compute, version=None):
    if version is None:
        version = data_version(scope)  # read before computing: a later write is never hidden
    at, started = _wall(), time.perf_counter()
    value = compute()
    cache.put(key, (), (version, value, at, time.perf_counter() - started))
    return value


def _refresh(key, scope, compute, max_age: float) -> None:
    """Compute a kept value again in a thread of this process, unless one is at it (here, or in
    another process sharing Redis within max_age)."""
    app = current_app._get_current_object()
    with _refreshing_lock:
        running = _refreshing.get(key)
        if running is not None and running.is_alive():
            return
        if not figure_cache().kept.claim(key, max_age):
            return

        def run():
            with app.app_context():
                try:
                    _compute_kept(figure_cache().kept, key, scope, compute)
                except Exception:  # the kept value stays; the next read past max_age tries again
                    app.logger.exception("computing %r again failed", key[0])

        thread = _refreshing[key] = threading.Thread(target=run, name=f"kept-{key[0]}", daemon=True)
        thread.start()


def wait_for_refreshes(timeout: float = 60) -> None:
    """Wait for the background computations kept_while_slow started (tests, a clean shutdown)."""
    for thread in list(_refreshing.values()):
        thread.join(timeout)


_ALL_VERSIONS = sa.select(_VERSIONS.c.scope, _VERSIONS.c.version)
_BESIDE_VISITS_VERSION = sa.select(sa.func.coalesce(sa.func.sum(_VERSIONS.c.version), 0)).where(
    _VERSIONS.c.scope <= DISTRICT, _VERSIONS.c.scope > -_HOLIDAY_SCOPES)


def cached_beside_visits(name: str, parts: tuple, compute: Callable[[], object]):
    """cached() of a whole district's value that reads no visit: kept under scope 0's counter and
    every township's beside_visits counter, so that the visits written do not renew it."""
    from relief.extensions import db

    version = ("beside-visits", db.session.scalar(_BESIDE_VISITS_VERSION))
    return _kept_under(figure_cache(), (name, *parts), version, compute)


def cached_by_township(name: str, townships: Sequence[int], parts: tuple,
                       compute: Callable[[list[int] | None], dict[int, object]], *,
                       counter: Callable[[int], int] | None = None) -> dict[int, object]:
    """{township id: value} for these townships, each kept under its own counters (its own and
    scope 0's): only the townships written to since their value was kept are computed again, all
    in one call of `compute(ids)` (ids None: every township is due, compute them all). `compute`
    returns a value for every id it is given. One query reads the counters. `counter`: the
    township's counter the value is kept under instead of its own, for a value that reads fewer
    rows: beside_visits (it reads no visit: a visit written does not renew it) or holiday_visits
    (it reads only 慰问 visits)."""
    from relief.extensions import db

    versions = dict(db.session.execute(_ALL_VERSIONS).all())  # read before computing, as cached() does
    district = versions.get(DISTRICT, 0)
    cache = figure_cache().townships
    values, due = {}, []
    def version(tid):
        return (versions.get(tid if counter is None else counter(tid), 0), district)

    for tid in townships:
        value = cache.get((name, tid, *parts), version(tid))
        if value is _MISSING:
            due.append(tid)
        else:
            values[tid] = value
    if due:
        fresh = compute(None if len(due) == len(townships) else due)
        for tid in due:
            values[tid] = fresh[tid]
            cache.put((name, tid, *parts), version(tid), fresh[tid])
    return values


def cached_html(name: str, scope: int | None | CadreScope, render: Callable[[], str]) -> Markup:
    """A page's body as rendered for this request's view of it: the same query string, language,
    viewer scope and day get the same HTML while the data behind it is unchanged. The body must
    hold nothing else of the request (no CSRF token, no CSP nonce, no user name)."""
    from flask import request
    from flask_babel import get_locale
    from flask_login import current_user

    from relief.dates import today
    from relief.scope import viewer_scope

    parts = (viewer_scope(current_user._get_current_object()), str(get_locale()), request.full_path, today())
    return Markup(cached(name, scope, parts, render))
