"""Groupings of the visit module's enums, as properties of the enums (like PairingKind.is_stationed).

DemandStatus: open (待办, 办理中: still to do) or closed (已办结, 无法解决: settled either way).
VisitKind: the holiday visits (春节慰问, 中秋慰问), each named like its holiday window
(relief.reports.holidays: "spring_festival", "mid_autumn").

They are attached here, not written in the class bodies in relief/models/visit.py, only because
that file is being changed on another branch; once it has merged, these bodies move into the
enums there and this module goes. Callers already use the enums' own names.
"""
from __future__ import annotations

from .visit import DemandStatus, VisitKind


def _demand_is_open(self: DemandStatus) -> bool:
    """Still to do: 待办 or 办理中."""
    return self in (DemandStatus.OPEN, DemandStatus.IN_PROGRESS)


def _open_statuses(cls) -> tuple[DemandStatus, ...]:
    return tuple(s for s in cls if s.is_open)


def _closed_statuses(cls) -> tuple[DemandStatus, ...]:
    """Settled either way: 已办结 or 无法解决."""
    return tuple(s for s in cls if not s.is_open)


def _visit_is_holiday(self: VisitKind) -> bool:
    """A 慰问 visit: counts toward its holiday's coverage (DESIGN.md rule 3)."""
    return self in (VisitKind.SPRING_FESTIVAL, VisitKind.MID_AUTUMN)


def _holiday_kinds(cls) -> tuple[VisitKind, ...]:
    return tuple(k for k in cls if k.is_holiday)


DemandStatus.is_open = property(_demand_is_open)
DemandStatus.open_statuses = classmethod(_open_statuses)
DemandStatus.closed_statuses = classmethod(_closed_statuses)
VisitKind.is_holiday = property(_visit_is_holiday)
VisitKind.holiday_kinds = classmethod(_holiday_kinds)
