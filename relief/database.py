"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_writing = contextvars.ContextVar("relief_writing", default=False)


@contextmanager
def writing():
    """Make transactions begun inside this block take SQLite's write lock at BEGIN."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def _wants_write_lock() -> bool:
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
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred BEGIN that later writes fails at once with "database is locked" when
        # another worker writes; BEGIN IMMEDIATE waits for the lock (busy_timeout) instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")
