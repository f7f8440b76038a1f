"""Figures kept between requests, keyed by the database's data version so every process agrees.

Writing: every write made through SQLAlchemy to a table that figures are read from raises, in
the same transaction, the counter of the township it touches (data_version; a row without a
township column, such as a village's income or a pairing's attendance, counts in its parent's
township; scope 0 for rows of no township, and for statements whose rows do not say their
township). ORM flushes name their townships; bulk and Core INSERT/UPDATE/DELETE statements name
those of their rows' township_id. A flush that only adds visits to a township says which
(township_delta): figures kept per township take them in (relief.cache.townships).

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

Modules: counters (writing), store (the LRU and Redis), townships (figures per township), and
here reading: data_version, cached, kept_while_slow, cached_beside_visits, cached_html.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from markupsafe import Markup

from relief.models import DataVersion
from relief.models.base import utcnow

from .counters import (  # noqa: F401  (the writing side: listeners registered on import)
    _HOLIDAY_SCOPES,
    _SUM_KEY,
    DISTRICT,
    UNTRACKED,
    VISITS,
    beside_visits,
    bump,
    holiday_visits,
)
from .store import _MISSING, FigureCache, figure_cache, release  # noqa: F401
from .townships import all_versions, cached_by_township  # noqa: F401


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


def cached(name: str, scope: int | None | CadreScope, parts: tuple, compute: Callable[[], object], *,
           shared: bool = True):
    """The value of `compute()` for what a scope shows (a township id, None for the district, or a
    CadreScope), kept while the data behind it is unchanged. `parts` holds everything else the
    value depends on. `shared` False: kept in this process only, not in Redis (a large value that
    every write anywhere renews, such as a province's page: a round trip to Redis of the value
    last kept on every read after a write costs more than computing it from its kept parts)."""
    version = data_version(scope)  # read before computing: a later write is never hidden
    return _kept_under(figure_cache(), (name, scope or 0, *parts), version, compute, shared)


def _kept_under(cache: FigureCache, key: Hashable, version: tuple, compute: Callable[[], object],
                shared: bool = True):
    """The value kept under `key` for this version, or `compute()`'s, then kept."""
    value = cache.get(key, version, shared)
    if value is _MISSING:
        value = compute()
        cache.put(key, version, value, shared)
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


def cached_beside_visits(name: str, parts: tuple, compute: Callable[[], object]):
    """cached() of a whole district's value that reads no visit: kept under scope 0's counter and
    every township's beside_visits counter, so that the visits written do not renew it."""
    versions = all_versions()
    version = ("beside-visits", sum(v for scope, v in versions.items() if -_HOLIDAY_SCOPES < scope <= DISTRICT))
    return _kept_under(figure_cache(), (name, *parts), version, compute)


def cached_html(name: str, scope: int | None | CadreScope, render: Callable[[], str], *,
                shared: bool = True) -> Markup:
    """A page's body as rendered for this request's view of it: the same query string, language,
    viewer scope and day get the same HTML while the data behind it is unchanged. The body must
    hold nothing else of the request (no CSRF token, no CSP nonce, no user name)."""
    from flask import request
    from flask_babel import get_locale
    from flask_login import current_user

    from relief.dates import today
    from relief.scope import viewer_scope

    parts = (viewer_scope(current_user._get_current_object()), str(get_locale()), request.full_path, today())
    return Markup(cached(name, scope, parts, render, shared=shared))

