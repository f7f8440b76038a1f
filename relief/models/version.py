"""How often the data behind the cached figures has changed, per township."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from relief.extensions import db


class DataVersion(db.Model):
    """A counter per township, raised in the same transaction as every write to its rows.

    Scope 0 counts writes to rows of no one township (cadres, units, district-wide targets)
    and bulk statements. relief.cache keys what it keeps by these counters, so every app
    process sees the same version and drops the same entries.
    """

    __tablename__ = "data_version"

    #: a township id, or 0
    scope: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class TownshipDelta(db.Model):
    """The visits a township's counter was raised for, when a flush added visits to the township
    and wrote nothing else of it: figures kept for the township under the version before take
    these visits in (relief.cache.townships) instead of being computed again. A version that has
    no row here changed something else: what is kept under an older one is computed again.
    Only the last versions of each township are kept (relief.cache.counters.KEEP_DELTAS)."""

    __tablename__ = "township_delta"

    township_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the township's counter (data_version) after the flush that added the visit
    version: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: no foreign key: a visit deleted later raises the counter again, and leaves this row be
    visit_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
