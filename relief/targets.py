"""Yearly collective-income targets (DESIGN.md rule 6)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from relief.extensions import db
from relief.models import IncomeTarget, Village, VillageIncome


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


def target_expression(year, default=None):
    """The same resolution as a SQL expression over Village, for aggregate queries (`year` and
    `default` may be bind parameters of a statement built once)."""
    own_year = (sa.select(IncomeTarget.target_yuan)
                .where(IncomeTarget.year == year, IncomeTarget.village_id == Village.id).scalar_subquery())
    district_year = (sa.select(IncomeTarget.target_yuan)
                     .where(IncomeTarget.year == year, IncomeTarget.village_id.is_(None)).scalar_subquery())
    if default is None:
        default = sa.literal(current_app.config["DEFAULT_TARGET_YUAN"])
    return sa.func.coalesce(own_year, Village.target_yuan, district_year, default)


def income_expression(year):
    """A village's collective income in `year` (0 when none is recorded), as SQL over Village."""
    return sa.func.coalesce(sa.select(VillageIncome.income_yuan)
                            .where(VillageIncome.village_id == Village.id, VillageIncome.year == year)
                            .scalar_subquery(), 0)


def progress_band(progress: float) -> str:
    """red below 60 %, orange 60-99 %, green at or above 100 %."""
    if progress >= 1.0:
        return "green"
    if progress >= 0.6:
        return "orange"
    return "red"


def progress_ratio(income_yuan: int, target_yuan: int) -> float:
    """Income as a share of the target; a zero target counts as reached."""
    return income_yuan / target_yuan if target_yuan else 1.0


def band_condition(band: str, income, target):
    """progress_band as a SQL condition over integer yuan expressions (exact: no division).

    income * 10 >= target * 6 is progress >= 60 %; income >= target is progress >= 100 %.
    """
    if band == "green":
        return income >= target
    if band == "orange":
        return sa.and_(income * 10 >= target * 6, income < target)
    if band == "red":
        return income * 10 < target * 6
    raise ValueError(f"unknown band {band!r}")


#: the bands in the order a legend lists them, with the words that say them without colour
BANDS = ("red", "orange", "green")
BAND_LABELS = {"red": _l("进度不足60%"), "orange": _l("进度60%至99%"), "green": _l("已达标（100%及以上）")}


def village_band(band: str, year: int):
    """Villages whose income in `year` falls in `band` against their target (SQL over Village)."""
    return band_condition(band, income_expression(year), target_expression(year))
