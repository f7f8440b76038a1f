"""Yearly collective-income targets (DESIGN.md rule 6)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.models import IncomeTarget, Village


def target_for(village: Village, year: int) -> int:
    """This village and year, then the village's own target, then the year's, then the default."""
    rows = dict(db.session.execute(
        sa.select(IncomeTarget.village_id, IncomeTarget.target_yuan)
        .where(IncomeTarget.year == year,
               sa.or_(IncomeTarget.village_id == village.id, IncomeTarget.village_id.is_(None)))
    ).all())
    if village.id in rows:
        return rows[village.id]
    if village.target_yuan is not None:
        return village.target_yuan
    if None in rows:
        return rows[None]
    return current_app.config["DEFAULT_TARGET_YUAN"]


def target_expression(year: int):
    """The same resolution as a SQL expression over Village, for aggregate queries."""
    own_year = (sa.select(IncomeTarget.target_yuan)
                .where(IncomeTarget.year == year, IncomeTarget.village_id == Village.id).scalar_subquery())
    district_year = (sa.select(IncomeTarget.target_yuan)
                     .where(IncomeTarget.year == year, IncomeTarget.village_id.is_(None)).scalar_subquery())
    return sa.func.coalesce(own_year, Village.target_yuan, district_year,
                            sa.literal(current_app.config["DEFAULT_TARGET_YUAN"]))


def progress_band(progress: float) -> str:
    """red below 60 %, orange 60-99 %, green at or above 100 %."""
    if progress >= 1.0:
        return "green"
    if progress >= 0.6:
        return "orange"
    return "red"
