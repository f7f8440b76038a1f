"""Villages: the list and one village's page; collective income (村集体经济收入) and its targets:
entry, overrides, history.

Only the district admin enters incomes and targets. Functions take the acting user, check it,
write through the ORM (so the audit trail records every change) and flush; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.dates import today
from relief.extensions import db
from relief.geo.coords import CoordinateError, CoordSystem, parse_system, to_wgs84
from relief.models import Household, IncomeTarget, Pairing, Project, Role, Village, VillageIncome
from relief.reports.villages import VillageProgress, village_progress
from relief.scope import scoped, village_pairings
from relief.targets import progress_band, progress_ratio, target_expression

FIRST_YEAR = 2000
#: targets may be set this many years ahead
TARGET_YEARS_AHEAD = 5


class VillageError(ValueError):
    """A change that cannot be made; the message says what to fix."""


def village_list(user, where: list) -> Select:
    """(village, households) for the villages the user may see that match the filters."""
    counts = (sa.select(Household.village_id, sa.func.count().label("n"))
              .group_by(Household.village_id).subquery())
    return (scoped(sa.select(Village, sa.func.coalesce(counts.c.n, 0)), user, Village)
            .outerjoin(counts, counts.c.village_id == Village.id)
            .options(joinedload(Village.township)).where(*where)
            .order_by(Village.township_id, Village.name, Village.id))


def _admin_only(user) -> None:
    if user is None or user.role is not Role.ADMIN:
        raise VillageError(_("只有区扶贫办管理员可以录入收入和目标"))


def _check_year(year: int, latest: int) -> None:
    if not FIRST_YEAR <= year <= latest:
        raise VillageError(_("年度应在 %(lo)d 到 %(hi)d 之间", lo=FIRST_YEAR, hi=latest))


def _check_money(yuan: int | None) -> None:
    if yuan is not None and (not isinstance(yuan, int) or yuan < 0):
        raise VillageError(_("金额不能为负数"))


def record_income(user, village: Village, year: int, income_yuan: int) -> bool:
    """Store the village's collective income for a year; True when new, False when it replaced one."""
    _admin_only(user)
    _check_year(year, today().year)
    if income_yuan is None:
        raise VillageError(_("请填写收入"))
    _check_money(income_yuan)
    row = db.session.scalar(sa.select(VillageIncome).where(VillageIncome.village_id == village.id,
                                                           VillageIncome.year == year))
    created = row is None
    if created:
        row = VillageIncome(village_id=village.id, year=year, income_yuan=income_yuan)
        db.session.add(row)
    row.income_yuan = income_yuan
    row.updated_by_id = user.id
    db.session.flush()
    return created


def set_location(user, village: Village, lat: float | None, lng: float | None,
                 system: CoordSystem | str = CoordSystem.WGS84) -> bool:
    """Store the village's position, typed in `system`, as WGS-84; both None clears it.

    Returns whether anything changed. The far-from-village flag and the map read these values."""
    _admin_only(user)
    if lat is None and lng is None:
        changed = village.lat is not None or village.lng is not None
        village.lat = village.lng = None
        village.coord_system = CoordSystem.WGS84
        db.session.flush()
        return changed
    if lat is None or lng is None:
        raise VillageError(_("纬度和经度要么都填，要么都不填"))
    try:
        system = parse_system(system)
        wgs_lat, wgs_lng = to_wgs84(lat, lng, system)
    except CoordinateError as err:
        raise VillageError(str(err)) from None
    wgs_lat, wgs_lng = round(wgs_lat, 6), round(wgs_lng, 6)
    if (village.lat, village.lng) == (wgs_lat, wgs_lng) and (system is CoordSystem.WGS84 or
                                                              village.coord_system is system):
        return False  # the numbers shown were saved again as they are
    village.lat, village.lng, village.coord_system = wgs_lat, wgs_lng, system
    db.session.flush()
    return True


def set_district_target(user, year: int, target_yuan: int | None) -> None:
    """The target of every village for one year, unless a village has its own; None removes it."""
    _admin_only(user)
    _check_year(year, today().year + TARGET_YEARS_AHEAD)
    _check_money(target_yuan)
    _put_target(year, None, target_yuan)


def set_village_target(user, village: Village, target_yuan: int | None, year: int | None = None) -> None:
    """A village's own target: for one year, or (year None) for every year; None removes it."""
    _admin_only(user)
    _check_money(target_yuan)
    if year is None:
        village.target_yuan = target_yuan
        db.session.flush()
        return
    _check_year(year, today().year + TARGET_YEARS_AHEAD)
    _put_target(year, village.id, target_yuan)


def _put_target(year: int, village_id: int | None, target_yuan: int | None) -> None:
    row = db.session.scalar(sa.select(IncomeTarget).where(
        IncomeTarget.year == year,
        IncomeTarget.village_id.is_(None) if village_id is None else IncomeTarget.village_id == village_id))
    if target_yuan is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(IncomeTarget(year=year, village_id=village_id, target_yuan=target_yuan))
    else:
        row.target_yuan = target_yuan
    db.session.flush()


def district_targets() -> list[IncomeTarget]:
    return db.session.scalars(sa.select(IncomeTarget).where(IncomeTarget.village_id.is_(None))
                              .order_by(IncomeTarget.year.desc())).all()


def village_targets(village: Village) -> list[IncomeTarget]:
    """The village's own year targets, newest first."""
    return db.session.scalars(sa.select(IncomeTarget).where(IncomeTarget.village_id == village.id)
                              .order_by(IncomeTarget.year.desc())).all()


@dataclass
class YearIncome:
    year: int
    income_yuan: int
    target_yuan: int

    @property
    def progress(self) -> float:
        return progress_ratio(self.income_yuan, self.target_yuan)

    @property
    def band(self) -> str:
        return progress_band(self.progress)


def income_history(village: Village) -> list[YearIncome]:
    """Every recorded year with the target that applied that year, in one query, oldest first."""
    rows = db.session.execute(
        sa.select(VillageIncome.year, VillageIncome.income_yuan, target_expression(VillageIncome.year))
        .join(Village, Village.id == VillageIncome.village_id)
        .where(VillageIncome.village_id == village.id)
        .order_by(VillageIncome.year)
    ).all()
    return [YearIncome(*row) for row in rows]


@dataclass
class VillagePage:
    history: list[YearIncome]
    #: the village's link and stationed pairings, active first
    pairings: list[Pairing]
    projects: list[Project]
    households: int
    progress: VillageProgress | None


def village_page(user, village: Village, year: int) -> VillagePage:
    """What a village's page shows: income by year, its cadres, projects and households, progress."""
    pairings = db.session.scalars(
        village_pairings(sa.select(Pairing), village.id)
        .options(joinedload(Pairing.cadre)).order_by(Pairing.ended_on.is_not(None), Pairing.started_on.desc())
    ).all()
    projects = db.session.scalars(
        scoped(sa.select(Project), user).where(Project.village_id == village.id)
        .order_by(Project.status, Project.id)
    ).all()
    households = db.session.scalar(
        scoped(sa.select(sa.func.count()).select_from(Household), user, Household)
        .where(Household.village_id == village.id))
    progress = village_progress(user, year, village_id=village.id)
    return VillagePage(income_history(village), pairings, projects, households, progress[0] if progress else None)
