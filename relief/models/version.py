"""How often the data behind the cached figures has changed, per township."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from relief.extensions import db


class DataVersion(db.Model):
    """A counter per township, raised in the same transaction as every write to its rows.

    Scope 0 counts writes to rows of no one township (cadres, units, targets, village incomes)
    and bulk statements. relief.cache keys what it keeps by these counters, so every app
    process sees the same version and drops the same entries.
    """

    __tablename__ = "data_version"

    #: a township id, or 0
    scope: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
