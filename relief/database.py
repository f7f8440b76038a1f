"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""
from __future__ import annotations

import contextvars
import sqlite3
import time
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

_writing = contextvars.ContextVar("relief_writing", default=False)
_reading = contextvars.ContextVar("relief_reading", default=False)


@contextmanager
def writing():
    """Make transactions begun inside this block take SQLite's write lock at BEGIN."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def reading():
    """Make transactions begun inside this block plain BEGINs, even during a writing request (a
    short read on a connection of its own that must not hold up other writers)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def wants_write_lock() -> bool:
    """Whether a transaction begun now should take SQLite's write lock at BEGIN."""
    return _wants_write_lock()


def _wants_write_lock() -> bool:
    if _reading.get():
        return False
    if _writing.get():
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def configure_engine(engine: Engine) -> None:
    """Apply per-backend connection settings; PostgreSQL needs none."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred BEGIN that later writes fails at once with "database is locked" when
        # another worker writes; BEGIN IMMEDIATE waits for the lock instead.
        # Sent on the DBAPI connection: BEGIN is no statement SQLAlchemy needs to see (it is not
        # a round trip, and on PostgreSQL the driver sends it unseen); through exec_driver_sql it
        # cost a statement's whole execution path on every request.
        if _wants_write_lock():
            _begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.connection.dbapi_connection.execute("BEGIN")


#: how long a writer waits for SQLite's write lock, and how often it looks again meanwhile
LOCK_WAIT_SECONDS = 30
LOCK_POLL_SECONDS = 0.0002


def _begin_immediate(dbapi_conn) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock by looking again every fifth of a millisecond.

    SQLite's own busy handler (busy_timeout) sleeps 1, 2, 5, 10, 15 ... ms between attempts, so a
    writer waiting behind a write of a few milliseconds often sleeps on after the lock is free:
    two gunicorn workers then write no faster than one. Other statements keep busy_timeout."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                cur.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(LOCK_POLL_SECONDS)
    finally:
        cur.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
        cur.close()


class Prepared:
    """A statement compiled once per dialect and run on a DBAPI cursor: a SELECT on a pooled
    connection of its own (`first`: its first row typed by the columns' own result processors, as
    {column key: value}), or an INSERT, UPDATE or DELETE in a connection's transaction (`write`).

    For what every signed-in request or every synced visit runs: SQLAlchemy's execution of a
    statement (cache key, execution context, Result, the ORM session's transaction) costs several
    times a short query. A SELECT runs outside the request's transaction, in SQLite's autocommit or
    a PostgreSQL transaction of its own, so it never takes or waits for a write lock. While
    anything listens to the engine's statements (a test counting them, the bench capturing them)
    both run through SQLAlchemy instead, so every statement is still seen; a database error is
    raised as SQLAlchemy's own exception."""

    def __init__(self, statement):
        self.statement = statement
        self.keys = tuple(column.key for column in statement.selected_columns) if statement.is_select else ()
        assert len(set(self.keys)) == len(self.keys), "every selected column needs a key of its own"
        self._forms: dict[str, tuple] = {}

    def _form(self, dialect) -> tuple:
        form = self._forms.get(dialect.name)
        if form is None:
            compiled = self.statement.compile(dialect=dialect)
            assert not any(bind.expanding for bind in compiled.binds.values()), "no IN lists"
            # values as the database takes them (an enum as its text, a date as SQLite's text)
            to_db = {key: bind.type._cached_bind_processor(dialect) for key, bind in compiled.binds.items()}
            given = {key: to_db[key] for key, bind in compiled.binds.items() if bind.required and to_db[key]}
            defaults = compiled.construct_params({key: None for key, bind in compiled.binds.items() if bind.required})
            defaults = {key: value if to_db.get(key) is None or value is None else to_db[key](value)
                        for key, value in defaults.items()}
            processors = tuple(column.type._cached_result_processor(dialect, None)
                               for column in self.statement.selected_columns) if self.keys else ()
            order = tuple(compiled.positiontup) if dialect.positional else None
            form = self._forms[dialect.name] = (compiled.string, defaults, given, order, processors)
        return form

    @staticmethod
    def _watched(engine: Engine) -> bool:
        return bool(engine.dispatch.before_cursor_execute or engine.dispatch.after_cursor_execute)

    @staticmethod
    def _values(form: tuple, params: dict):
        _sql, defaults, given, order, _processors = form
        values = {**defaults, **params}
        for key, process in given.items():
            if values[key] is not None:
                values[key] = process(values[key])
        return [values[key] for key in order] if order is not None else values

    def first(self, engine: Engine, params: dict) -> dict | None:
        if self._watched(engine):
            return self._through_sqlalchemy(engine, params)
        form = self._form(engine.dialect)
        sql, processors = form[0], form[4]
        try:
            conn = engine.raw_connection()
            try:
                cursor = conn.cursor()
                cursor.execute(sql, self._values(form, params))
                row = cursor.fetchone()
                cursor.close()
            finally:
                conn.close()
        except engine.dialect.loaded_dbapi.Error:
            # asked again through SQLAlchemy: it tells a lost connection from a failed statement,
            # renews the pool, and raises its own exceptions, which the error pages know
            return self._through_sqlalchemy(engine, params)
        if row is None:
            return None
        return {key: value if process is None else process(value)
                for key, process, value in zip(self.keys, processors, row)}

    def write(self, connection: Connection, rows: list[dict]) -> None:
        """Run this INSERT, UPDATE or DELETE once for each of `rows`, in `connection`'s transaction."""
        if self._watched(connection.engine):
            connection.execute(self.statement, rows)
            return
        form = self._form(connection.dialect)
        values = [self._values(form, row) for row in rows]
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            if len(values) == 1:
                cursor.execute(form[0], values[0])
            else:
                cursor.executemany(form[0], values)
        except connection.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(form[0], values, exc, connection.dialect.loaded_dbapi.Error,
                                      dialect=connection.dialect) from exc
        finally:
            cursor.close()

    def _through_sqlalchemy(self, engine: Engine, params: dict) -> dict | None:
        with reading(), engine.connect() as conn:
            row = conn.execute(self.statement, params).first()
        return None if row is None else dict(zip(self.keys, row))


def untouched(session) -> bool:
    """Whether the session's transaction has sent nothing to the database yet (it has taken no
    connection): rolling it back then undoes only what is written from now on, as a savepoint
    would, without the two statements a savepoint costs."""
    transaction = session.get_transaction()
    return transaction is None or not transaction._connections
