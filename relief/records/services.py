"""The work record page's rows: the quarter's records (relief.records.figures) the user may read,
narrowed by unit, township and name, in rank order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre
from relief.scope import scoped

from .figures import CadreRecord, quarter_records


class Choice(NamedTuple):
    id: int
    name: str


@dataclass
class RecordList:
    #: every record that matches, highest total first
    rows: list[CadreRecord]
    #: the units and townships among the user's records, for the filters
    units: list[Choice]
    townships: list[Choice]


def ranked(records: list[CadreRecord]) -> list[CadreRecord]:
    """Highest total first, then by unit and name (the page's and the workbook's order)."""
    return sorted(records, key=lambda r: (-r.total, r.unit, r.name))


def record_list(user, year: int, quarter: int, today: date, unit_id: int | None = None,
                township_id: int | None = None, q: str = "") -> RecordList:
    """The quarter's records `user` may read, narrowed to a unit, a township and a name."""
    records = quarter_records(user, year, quarter, today)
    units = sorted({Choice(r.unit_id, r.unit) for r in records}, key=lambda u: u.name)
    townships = sorted({Choice(*item) for r in records for item in r.townships.items()}, key=lambda t: t.name)
    rows = [r for r in records if (not unit_id or r.unit_id == unit_id)
            and (not township_id or township_id in r.townships) and (not q or q in r.name)]
    return RecordList(ranked(rows), units, townships)


def linkable(user, cadre_ids: list[int]) -> set[int]:
    """Of these cadres, those whose lists the user may open (a figure links to the rows it counts
    only for them; the record itself may be readable beyond: scope.record_cadres)."""
    if not cadre_ids:
        return set()
    return set(db.session.scalars(scoped(sa.select(Cadre.id), user, Cadre).where(Cadre.id.in_(cadre_ids))))
