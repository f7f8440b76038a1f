"""Writing: every write made through SQLAlchemy raises, in its transaction, the counters of the
townships it touches (data_version), and a flush that only adds visits to a township says which
(township_delta), so that figures kept for the township can take the visits in instead of being
computed again (relief.cache.townships)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from relief.database import Prepared
from relief.models import DataVersion, TownshipDelta

#: tables whose rows no cached figure reads: writing them renews nothing
UNTRACKED = frozenset({"audit_event", "user_session", "api_token", "user_account", "data_version", "visit_photo",
                       "project_photo", "rate_limit", "township_delta"})

DISTRICT = 0
#: the table written most (20 a second on a province). A township has two more counters, for
#: figures that read fewer rows: one raised by every write but a visit's (beside_visits), one by
#: every write but a visit's that is not, and was not, of a holiday kind (holiday_visits)
VISITS = "visit"
_HOLIDAY_SCOPES = 2 ** 30  # the holiday counters' scopes lie beyond every township id's negative
_SUM_KEY = "relief_data_version_sum"
_ALL_KEY = "relief_data_versions"  # every counter, as this request read them (relief.cache.townships)
#: rows of no township column whose township is their parent's: (the column, the parent's table)
_PARENTS = {"village_income": ("village_id", "village"), "income_target": ("village_id", "village"),
            "attendance": ("pairing_id", "pairing"), "household_income": ("household_id", "household")}
#: township_delta keeps the last KEEP_DELTAS versions of a township (a kept figure older than that,
#: which its CACHE_SECONDS lifetime makes rare, is computed again), pruned by a visit whose id is a
#: multiple of PRUNE_EVERY (one in PRUNE_EVERY of a township's visits, whatever its size)
KEEP_DELTAS, PRUNE_EVERY = 512, 64


def _tracked(table) -> bool:
    """A table of the domain model that figures read (not Alembic's own, not the untracked above)."""
    name = getattr(table, "name", None)
    return name is not None and name not in UNTRACKED and name in DataVersion.metadata.tables


def beside_visits(township_id: int) -> int:
    """The scope of a township's counter of writes to tables other than visit."""
    return -township_id


def holiday_visits(township_id: int) -> int:
    """The scope of a township's counter of writes other than of visits of no holiday kind."""
    return -(_HOLIDAY_SCOPES + township_id)


def _scopes_of(obj, connection) -> set[int]:
    """The townships a changed row belongs to, before and after the change; 0 when it has none.
    A row of a table without township_id belongs to its parent's township (_PARENTS)."""
    table = obj.__table__.name
    state = sa.inspect(obj)
    if table == "township":
        return {state.identity[0]} if state.identity else {DISTRICT}
    column = "township_id"
    if column not in state.attrs:
        if table not in _PARENTS:
            return {DISTRICT}
        column, parent = _PARENTS[table]
    hist = state.attrs[column].history
    ids = {t for t in (*hist.added, *hist.unchanged, *hist.deleted) if t}
    if column != "township_id" and ids:
        parents = DataVersion.metadata.tables[parent]
        found = dict(connection.execute(sa.select(parents.c.id, parents.c.township_id)
                                        .where(parents.c.id.in_(sorted(ids)))).all())
        townships = set(found.values())
        return townships if len(found) == len(ids) and None not in townships else {DISTRICT}
    return ids or {DISTRICT}


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
        _BUMPS[dialect] = Prepared(insert(table).values(scope=sa.bindparam("scope"), version=1)
                                   .on_conflict_do_update(index_elements=[table.c.scope],
                                                          set_={"version": table.c.version + 1}))
    return _BUMPS[dialect]


def bump(connection, scopes) -> None:
    """Raise the counters of these scopes by one (creating them at 1), in the caller's transaction."""
    if scopes:
        if has_request_context():
            g.pop(_SUM_KEY, None)  # the sum read with the sign-in no longer tells this request's counters
            g.pop(_ALL_KEY, None)
        # sorted: concurrent writers take the row locks in the same order (no deadlock on PostgreSQL)
        _bump_statement(connection.dialect.name).write(connection, [{"scope": s} for s in sorted(scopes)])


_VERSIONS = DataVersion.__table__
_DELTAS = TownshipDelta.__table__
_TOWNSHIP = sa.bindparam("tid")
_ITS_VERSION = sa.select(_VERSIONS.c.version).where(_VERSIONS.c.scope == _TOWNSHIP)
#: the delta is written with the version the bump just gave, read by the same statement
_RECORD_DELTA = Prepared(sa.insert(_DELTAS).from_select(
    ["township_id", "version", "visit_id"],
    sa.select(_VERSIONS.c.scope, _VERSIONS.c.version, sa.bindparam("visit_id", type_=sa.Integer))
    .where(_VERSIONS.c.scope == _TOWNSHIP)))
_PRUNE_DELTAS = sa.delete(_DELTAS).where(_DELTAS.c.township_id == _TOWNSHIP,
                                         _DELTAS.c.version <= _ITS_VERSION.scalar_subquery() - sa.bindparam("keep"))


def _record_deltas(connection, added: dict[int, list[int]]) -> None:
    """Say that the version each of these townships' counters now has is the visits `added`
    (ids), and nothing else: read under the row lock the bump took, so the version is this flush's.
    A township's oldest are pruned when one of its visits' ids is a multiple of PRUNE_EVERY."""
    _RECORD_DELTA.write(connection, [{"tid": tid, "visit_id": vid} for tid, ids in sorted(added.items()) for vid in ids])
    for tid, ids in sorted(added.items()):
        if any(vid % PRUNE_EVERY == 0 for vid in ids):
            connection.execute(_PRUNE_DELTAS, {"tid": tid, "keep": KEEP_DELTAS})


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx) -> None:
    scopes: set[int] = set()
    added: dict[int, list[int]] = {}  # a township's visits added by this flush ...
    others: set[int] = set()  # ... unless anything else of the township was written with them
    connection = session.connection()
    for dirty, objs in ((False, session.new), (True, session.dirty), (False, session.deleted)):
        for obj in objs:
            if not _tracked(getattr(obj, "__table__", None)):
                continue
            if dirty and not session.is_modified(obj, include_collections=False):
                continue
            own = _scopes_of(obj, connection)
            scopes |= _with_beside(own, obj.__table__.name, _kinds_of(obj))
            if obj.__table__.name == VISITS and obj in session.new and obj.township_id and obj.id:
                added.setdefault(obj.township_id, []).append(obj.id)
            else:
                others |= own
    bump(connection, scopes)
    added = {tid: ids for tid, ids in added.items() if tid not in others}
    if added and DISTRICT not in others:
        _record_deltas(connection, added)


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
