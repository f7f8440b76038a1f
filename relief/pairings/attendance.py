"""Stationed attendance: days in the village per month for STATIONED and TEAM pairings."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief.extensions import db
from relief.models import Attendance, Cadre, Pairing, PairingKind, Role, Village
from relief.scope import scoped

#: the first year attendance may be entered for
FIRST_YEAR = 2000


class AttendanceError(ValueError):
    """Entries that cannot be stored; `errors` maps pairing id to what to fix (0 for the whole sheet)."""

    def __init__(self, errors: dict[int, str], names: dict[int, str] | None = None):
        names = names or {}
        super().__init__("；".join(f"{names[k]}：{v}" if k in names else v for k, v in errors.items()))
        self.errors = errors


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_error(year: int, month: int, today: date) -> str | None:
    """Why a month cannot be shown or entered, or None."""
    if not 1 <= month <= 12:
        return _("月份应在1到12之间")
    if year < FIRST_YEAR:
        return _("年度应在%(first)d年到今年之间", first=FIRST_YEAR)
    if (year, month) > (today.year, today.month):
        return _("不能填写未来月份的驻村天数")
    return None


def days_so_far(year: int, month: int, today: date) -> int:
    """The days of the month that have begun by today: all of a past month, today's date in this one."""
    if (year, month) == (today.year, today.month):
        return today.day
    return month_days(year, month)


def days_error(days: int, year: int, month: int, today: date) -> str | None:
    if days < 0 or days > 31:
        return _("驻村天数应在0到31之间")
    if days > month_days(year, month):
        return _("%(y)d年%(m)d月只有%(n)d天，驻村天数不能超过%(n)d", y=year, m=month, n=month_days(year, month))
    if days > days_so_far(year, month, today):
        return _("%(y)d年%(m)d月到今天只过了%(n)d天，驻村天数不能超过%(n)d",
                 y=year, m=month, n=days_so_far(year, month, today))
    return None


def sheet(user, year: int, month: int, township_id: int | None = None) -> Select:
    """Stationed and team pairings the user may see that were active at some point in the month."""
    first, last = date(year, month, 1), date(year, month, month_days(year, month))
    return _stationed(user, township_id).where(
        Pairing.started_on <= last, sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= first))


def year_rows(user, year: int, township_id: int | None = None) -> Select:
    """Stationed and team pairings active at some point in the year."""
    return _stationed(user, township_id).where(
        Pairing.started_on <= date(year, 12, 31),
        sa.or_(Pairing.ended_on.is_(None), Pairing.ended_on >= date(year, 1, 1)))


def _stationed(user, township_id):
    stmt = (scoped(sa.select(Pairing), user)
            .join(Village, Village.id == Pairing.village_id)
            .join(Cadre, Cadre.id == Pairing.cadre_id)
            .where(Pairing.kind.in_(PairingKind.stationed_kinds()))
            .options(joinedload(Pairing.cadre).joinedload(Cadre.unit),
                     joinedload(Pairing.village).joinedload(Village.township)))
    if township_id:
        stmt = stmt.where(Pairing.township_id == township_id)
    return stmt.order_by(Pairing.township_id, Village.name, Pairing.kind, Pairing.role, Cadre.name, Pairing.id)


def pairings_with_months(year: int, met: bool) -> Select:
    """Ids of pairings with a month of the year at (met) or under the norm of days in the village."""
    norm = current_app.config["ATTENDANCE_NORM_DAYS"]
    return sa.select(Attendance.pairing_id).where(
        Attendance.year == year, Attendance.days >= norm if met else Attendance.days < norm)


def recorded(pairing_ids: list[int], year: int, month: int) -> dict[int, int]:
    if not pairing_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Attendance.pairing_id, Attendance.days)
        .where(Attendance.pairing_id.in_(pairing_ids), Attendance.year == year, Attendance.month == month)).all())


def save_attendance(user, year: int, month: int, entries: dict[int, int | None], today: date) -> int:
    """Store days per pairing for one month (None clears); all or nothing. Returns rows changed.

    Raises LookupError when a pairing is not one the user may write, AttendanceError on bad days.
    """
    if user is not None and user.role not in (Role.ADMIN, Role.LEADER):
        raise LookupError(user.role)
    problem = month_error(year, month, today)
    if problem:
        raise AttendanceError({0: problem})
    ids = list(entries)
    pairings = {p.id: p for p in db.session.scalars(
        sheet(user, year, month).where(Pairing.id.in_(ids)))} if ids else {}
    missing = set(ids) - set(pairings)
    if missing:
        raise LookupError(sorted(missing))
    errors = {}
    for pid, days in entries.items():
        if days is not None:
            problem = days_error(days, year, month, today)
            if problem:
                errors[pid] = problem
    if errors:
        raise AttendanceError(errors, {pid: f"{pairings[pid].cadre.name}（{pairings[pid].village.name}）"
                                       for pid in errors})
    existing = {a.pairing_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.pairing_id.in_(ids), Attendance.year == year,
                                    Attendance.month == month))} if ids else {}
    changed = 0
    for pid, days in entries.items():
        row = existing.get(pid)
        if days is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(Attendance(pairing_id=pid, year=year, month=month, days=days,
                                      recorded_by_id=getattr(user, "id", None)))
            changed += 1
        elif row.days != days:
            row.days = days
            row.recorded_by_id = getattr(user, "id", None)
            changed += 1
    db.session.flush()
    return changed


@dataclass
class AttendanceYear:
    pairing_id: int
    #: month (1-12) -> days recorded
    months: dict[int, int] = field(default_factory=dict)
    total: int = 0
    #: recorded months under the norm
    under: int = 0


def attendance_year(pairing_ids: list[int], year: int, norm: int | None = None) -> dict[int, AttendanceYear]:
    """A year of attendance for the given (already scoped) pairings, one row per pairing."""
    norm = norm if norm is not None else current_app.config["ATTENDANCE_NORM_DAYS"]
    if not pairing_ids:
        return {}
    cols = [sa.func.max(Attendance.days).filter(Attendance.month == m) for m in range(1, 13)]
    rows = db.session.execute(
        sa.select(Attendance.pairing_id, sa.func.sum(Attendance.days),
                  sa.func.count().filter(Attendance.days < norm), *cols)
        .where(Attendance.year == year, Attendance.pairing_id.in_(pairing_ids))
        .group_by(Attendance.pairing_id))
    out = {}
    for pid, total, under, *months in rows:
        out[pid] = AttendanceYear(pid, {m: d for m, d in enumerate(months, 1) if d is not None}, total or 0, under)
    return out

