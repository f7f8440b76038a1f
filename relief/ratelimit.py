"""A storage for Flask-Limiter in relief's own database, for deployments without Redis.

Flask-Limiter's memory storage counts in each process: `make run`'s two gunicorn workers would
allow twice the configured sign-in attempts, and six workers six times. This storage keeps the
counters in the `rate_limit` table, so every process of every server that shares the database
counts in the same row. Each increment is one short transaction of its own (one upsert), taken
outside the request's transaction: a refused sign-in still counts when its request rolls back.

Selected with RATELIMIT_STORAGE_URI = "relief+db://" (the default when REDIS_URL is unset).
Only the fixed-window strategy is supported, which is Flask-Limiter's default.
"""
from __future__ import annotations

import random
import time

import sqlalchemy as sa
from limits.storage import Storage

from relief.database import reading, writing
from relief.extensions import db
from relief.models.ratelimit import RateLimitCounter

_TABLE = RateLimitCounter.__table__
#: one increment in this many also deletes the windows that have ended
_SWEEP_ONE_IN = 200


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(_TABLE).values(key=sa.bindparam("key"), count=sa.bindparam("amount"),
                                 expires_at=sa.bindparam("expires"))
    ended = _TABLE.c.expires_at <= sa.bindparam("now")
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"count": sa.case((ended, stmt.excluded.count), else_=_TABLE.c.count + stmt.excluded.count),
              "expires_at": sa.case((ended, stmt.excluded.expires_at), else_=_TABLE.c.expires_at)},
    ).returning(_TABLE.c.count)


class DatabaseStorage(Storage):
    """Fixed-window counters in the app's database (the engine of the current app)."""

    STORAGE_SCHEME = ["relief+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._statements: dict[str, object] = {}

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        engine = db.engine
        dialect = engine.dialect.name
        if dialect not in self._statements:
            self._statements[dialect] = _upsert(dialect)
        now = time.time()
        with writing(), engine.begin() as conn:
            count = conn.execute(self._statements[dialect],
                                 {"key": key, "amount": amount, "expires": now + expiry, "now": now}).scalar_one()
            if random.randrange(_SWEEP_ONE_IN) == 0:
                conn.execute(sa.delete(_TABLE).where(_TABLE.c.expires_at <= now))
        return count

    def _row(self, key: str):
        # a plain read: the request may hold SQLite's write lock by now (the headers are added last)
        with reading(), db.engine.connect() as conn:
            return conn.execute(sa.select(_TABLE.c.count, _TABLE.c.expires_at).where(_TABLE.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row is not None and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with reading(), db.engine.connect() as conn:
                conn.execute(sa.select(sa.literal(1)))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with writing(), db.engine.begin() as conn:
            return conn.execute(sa.delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with writing(), db.engine.begin() as conn:
            conn.execute(sa.delete(_TABLE).where(_TABLE.c.key == key))
