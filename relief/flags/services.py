"""The flags on visit records (DESIGN.md rule 5): every check run, its reasons gathered per visit,
and the inspector's page. Flags are for scope.FLAG_READERS and never change data."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from relief.extensions import db
from relief.models import Visit

from . import record_evidence

#: each reason (CONTRACT.md's names, in the order a flag lists them) and the check that finds it
CHECKS: dict[str, Callable[[int, int | None], Iterator[record_evidence.Finding]]] = {
    "late_record": record_evidence.late_records,
    "far_from_village": record_evidence.far_from_village,
    "burst": record_evidence.bursts,
    "copied_notes": record_evidence.copied_notes,
}
REASONS = tuple(CHECKS)


@dataclass
class Flag:
    visit_id: int
    client_uuid: str
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None


def visit_flags(year: int, township_id: int | None = None) -> list[Flag]:
    """Flagged visits claimed in `year` (in a township, if asked), each with all its reasons, by visit id."""
    flags: dict[int, Flag] = {}
    for reason, check in CHECKS.items():
        for vid, uuid, details in check(year, township_id):
            item = flags.setdefault(vid, Flag(vid, uuid))
            if reason not in item.reasons:
                item.reasons.append(reason)
            for key, value in details.items():
                setattr(item, key, value)
    for item in flags.values():
        item.reasons.sort(key=REASONS.index)
    return [flags[k] for k in sorted(flags)]


@dataclass
class FlagPage:
    flags: list[Flag]
    #: the flagged visits by id, with their cadre, household and village
    visits: dict[int, Visit]
    #: for copied notes: the notes -> the ids of the visits of the year that have them
    copies: dict[str, list[int]]


def flag_page(year: int, township_id: int | None = None) -> FlagPage:
    """The inspector's list: the flags with their visits, and where notes were copied, the copies."""
    flags = visit_flags(year, township_id)
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_([fl.visit_id for fl in flags]))
        .options(joinedload(Visit.cadre), joinedload(Visit.household), joinedload(Visit.village)))}
    copies = {}
    for fl in flags:
        if "copied_notes" in fl.reasons:
            text = visits[fl.visit_id].notes.strip()
            if text not in copies:
                copies[text] = record_evidence.copies_of(text, year)
    return FlagPage(flags, visits, copies)
