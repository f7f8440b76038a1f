"""监测范围: the yearly per-capita income line. A year without its own line uses the latest earlier one."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.extensions import db
from relief.models import MonitorLine, Role

from .errors import MonitoringError, NotAllowed

#: a plausible line in yuan per person per year (6,000 in 2021; provinces set 6,500 to 9,000 since)
LINE_MIN, LINE_MAX = 1_000, 100_000
YEAR_MIN, YEAR_MAX = 2000, 2100


@dataclass(frozen=True)
class LineFor:
    """The line that applies to `year`: its own, or the latest earlier one (`from_year`)."""

    year: int
    yuan: int | None
    from_year: int | None

    @property
    def inherited(self) -> bool:
        return self.yuan is not None and self.from_year != self.year

    def describe(self) -> str:
        """"2026年未设定，沿用2025年的 6,900 元" and the like, for the pages."""
        if self.yuan is None:
            return _("%(year)d年及以前都没有设定监测范围", year=self.year)
        if self.inherited:
            return _("%(year)d年未设定，沿用%(from_year)d年的 %(yuan)s 元", year=self.year,
                     from_year=self.from_year, yuan=f"{self.yuan:,}")
        return _("%(year)d年 %(yuan)s 元", year=self.year, yuan=f"{self.yuan:,}")


def line_for(year: int) -> LineFor:
    row = db.session.execute(sa.select(MonitorLine.year, MonitorLine.yuan).where(MonitorLine.year <= year)
                             .order_by(MonitorLine.year.desc()).limit(1)).first()
    return LineFor(year, row.yuan, row.year) if row else LineFor(year, None, None)


def line_yuan_sql(year_column):
    """A correlated subquery: the line that applies to the year in `year_column` (NULL when none)."""
    return (sa.select(MonitorLine.yuan).where(MonitorLine.year <= year_column)
            .order_by(MonitorLine.year.desc()).limit(1).scalar_subquery())


def lines() -> list[MonitorLine]:
    return db.session.scalars(sa.select(MonitorLine).order_by(MonitorLine.year.desc())).all()


def lines_for_years(first: int, last: int) -> list[LineFor]:
    """Each year from `last` down to `first` with the line that applies to it (for the page)."""
    set_lines = {line.year: line.yuan for line in lines()}
    out, current = [], None
    for year in range(min(set_lines, default=first), last + 1):
        if year in set_lines:
            current = (year, set_lines[year])
        if year >= first:
            out.append(LineFor(year, current[1], current[0]) if current else LineFor(year, None, None))
    return list(reversed(out))


def check(year, yuan) -> dict[str, str]:
    problems = {}
    if not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        problems["year"] = _("年度应为 %(lo)d 到 %(hi)d 之间的整数", lo=YEAR_MIN, hi=YEAR_MAX)
    if not isinstance(yuan, int) or not LINE_MIN <= yuan <= LINE_MAX:
        problems["yuan"] = _("监测范围应为 %(lo)s 到 %(hi)s 之间的整数（元/人·年），例如 6900",
                             lo=f"{LINE_MIN:,}", hi=f"{LINE_MAX:,}")
    return problems


def set_line(year: int, yuan: int, user=None) -> tuple[MonitorLine, bool]:
    """Set the year's line (the admin, or the command line when user is None); (line, changed).
    Audited as a row change; the caller then rescans (the line decides income_below_line)."""
    if user is not None and user.role is not Role.ADMIN:
        raise NotAllowed()
    if problems := check(year, yuan):
        raise MonitoringError(fields=problems)
    line = db.session.scalar(sa.select(MonitorLine).where(MonitorLine.year == year))
    if line is None:
        line = MonitorLine(year=year, yuan=yuan, set_by_id=getattr(user, "id", None))
        db.session.add(line)
    elif line.yuan == yuan:
        return line, False
    else:
        line.yuan, line.set_by_id = yuan, getattr(user, "id", None)
    db.session.flush()
    return line, True
