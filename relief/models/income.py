"""Village collective income (村集体经济收入) by year and the targets it is measured against."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from relief.extensions import db

from .base import money_check, utcnow
from .org import Village


class VillageIncome(db.Model):
    __tablename__ = "village_income"
    __table_args__ = (sa.UniqueConstraint("village_id", "year"), money_check("income_yuan"))

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    year: Mapped[int] = mapped_column(index=True)
    income_yuan: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    village: Mapped[Village] = relationship()


class IncomeTarget(db.Model):
    """A target for one year: district-wide when village_id is NULL, else for one village.

    Resolution order: this village and year, the village's own target, this year, the default.
    """

    __tablename__ = "income_target"
    __table_args__ = (
        sa.UniqueConstraint("year", "village_id"),
        money_check("target_yuan"),
        # NULLs are distinct in unique constraints, so the district-wide row needs its own index
        sa.Index("uq_income_target_district_year", "year", unique=True,
                 sqlite_where=sa.text("village_id IS NULL"),
                 postgresql_where=sa.text("village_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"))
    target_yuan: Mapped[int]
