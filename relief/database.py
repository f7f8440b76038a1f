"""Engine set-up: SQLite pragmas and write transactions that take the lock up front."""
from __future__ import annotations

import contextvars
import sqlite3
import time
from contextlib import contextmanager

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
