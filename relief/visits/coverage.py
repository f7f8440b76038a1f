"""The holiday-coverage page (/visits/holidays): relief.reports.holiday_coverage with names attached, lowest first."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre, Township, Unit, Village
from relief.reports.holidays import HOLIDAYS, Coverage, coverage_rate, holiday_coverage, window
from relief.fields import year_int
from relief.paging import Page, paginate_list

GROUPS = ("township", "village", "cadre")


@dataclass
class Row:
    key: int | None  # the township, village or cadre id
    name: str
    detail: str
    paired: int
    covered: int

    @property
    def rate(self) -> float:
        return coverage_rate(self.paired, self.covered)


@dataclass
class CoveragePage:
    year: int
    kind: str
    by: str
    start: date
    end: date
    total: Coverage
    #: the groups shown (named), and the page of groups they are
    rows: list[Row]
    pages: Page
    years: list[int] = field(default_factory=list)


def _default_kind(today: date) -> str:
    """The holiday whose window began most recently."""
    start, _end = window("mid_autumn", today.year)
    return "mid_autumn" if today >= start else "spring_festival"


def _names(by: str, keys: list[int]) -> dict[int, tuple[str, str]]:
    # The keys come from a query already limited to the user's scope; these are their names.
    if not keys:
        return {}
    if by == "township":
        stmt = sa.select(Township.id, Township.name, sa.literal("")).where(Township.id.in_(keys))
    elif by == "village":
        stmt = (sa.select(Village.id, Village.name, Township.name).join(Township, Township.id == Village.township_id)
                .where(Village.id.in_(keys)))
    else:
        stmt = sa.select(Cadre.id, Cadre.name, Unit.name).join(Unit, Unit.id == Cadre.unit_id).where(Cadre.id.in_(keys))
    return {k: (name, detail) for k, name, detail in db.session.execute(stmt)}


def coverage_page(user, args, today: date) -> CoveragePage:
    """The holiday's coverage for the year asked, grouped as asked, lowest rate first, one page."""
    year = args.get("year", type=year_int) or today.year
    year = min(max(year, 2000), today.year + 1)
    kind = args.get("kind") if args.get("kind") in HOLIDAYS else _default_kind(today)
    by = args.get("by") if args.get("by") in GROUPS else "township"
    start, end = window(kind, year)
    total = (holiday_coverage(user, year, kind) or [Coverage(None, 0, 0)])[0]
    groups = sorted(holiday_coverage(user, year, kind, by=by), key=lambda c: (c.rate, -c.paired, c.key or 0))
    page = paginate_list(groups)
    names = _names(by, [c.key for c in page.items if c.key is not None])
    rows = [Row(c.key, *names.get(c.key, ("—", "")), c.paired, c.covered) for c in page.items]
    return CoveragePage(year, kind, by, start, end, total, rows, page, list(range(today.year, today.year - 5, -1)))
