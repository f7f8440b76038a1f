"""Portable SQL expressions that SQLite and PostgreSQL spell differently."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class seconds_between(FunctionElement):
    """Seconds from `start` to `end` (timestamps or dates), as a float."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _sqlite(element, compiler, **kw):
    end, start = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _postgresql(element, compiler, **kw):
    end, start = list(element.clauses)
    return (f"EXTRACT(EPOCH FROM (CAST({compiler.process(end, **kw)} AS TIMESTAMP) - "
            f"CAST({compiler.process(start, **kw)} AS TIMESTAMP)))")
