"""The flags on visit records (DESIGN.md rule 5): every check run, its reasons gathered per visit,
and the inspector's page. Flags are for scope.FLAG_READERS and never change data."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from relief.cache import Kept, kept_while_slow
from relief.extensions import db
from relief.models import Visit
from relief.models.base import N_

from . import photo_evidence, record_evidence

#: each reason (CONTRACT.md's names, in the order a flag lists them) and the check that finds it
CHECKS: dict[str, Callable[[int, int | None], Iterator[record_evidence.Finding]]] = {
    "late_record": record_evidence.late_records,
    "far_from_village": record_evidence.far_from_village,
    "burst": record_evidence.bursts,
    "copied_notes": record_evidence.copied_notes,
    "reused_photo": photo_evidence.reused_photos,
    "photo_date_mismatch": photo_evidence.photo_date_mismatches,
}
REASONS = tuple(CHECKS)
#: each reason's name for people (the pages translate it; the workbook keeps the Chinese)
REASON_LABELS = {
    "late_record": N_("补录超过7天"),
    "far_from_village": N_("定位距村过远"),
    "burst": N_("短时间内集中录入"),
    "copied_notes": N_("记录内容雷同"),
    "reused_photo": N_("照片曾用于其他走访"),
    "photo_date_mismatch": N_("照片拍摄日期与走访日期不符"),
}


@dataclass
class Flag:
    visit_id: int
    client_uuid: str
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None
    #: reused_photo: each photo of the visit an earlier visit's photo already showed
    reused: list[photo_evidence.Reuse] = field(default_factory=list)
    #: photo_date_mismatch: each photo taken too far from the claimed date
    date_gaps: list[photo_evidence.DateGap] = field(default_factory=list)


def visit_flags(year: int, township_id: int | None = None, reasons=REASONS) -> list[Flag]:
    """Flagged visits claimed in `year` (in a township, if asked), each with all its reasons, by visit id.
    `reasons`: only the checks named (a visit then lists only those of its reasons)."""
    flags: dict[int, Flag] = {}
    for reason, check in CHECKS.items():
        if reason not in reasons:
            continue
        for vid, uuid, details in check(year, township_id):
            item = flags.setdefault(vid, Flag(vid, uuid))
            if reason not in item.reasons:
                item.reasons.append(reason)
            for key, value in details.items():
                setattr(item, key, value)
    for item in flags.values():
        item.reasons.sort(key=REASONS.index)
    return [flags[k] for k in sorted(flags)]


def reason_counts(year: int, township_id: int | None = None) -> dict[str, int]:
    """How many visits of the year (in a township, if asked) have each reason, every reason listed."""
    counted = Counter(r for fl in visit_flags(year, township_id) for r in fl.reasons)
    return {reason: counted[reason] for reason in REASONS}


def kept_reason_counts(year: int, township_id: int | None = None) -> Kept:
    """reason_counts as the dashboard shows them. Copied notes and bursts span townships, so the
    district's counts are no sum of townships' and are read over every visit: when that took
    FLAG_COUNTS_SLOW_SECONDS or more (a province), the counts last computed are kept across writes
    (with their time, `as_of`) and computed again in the background once FLAG_COUNTS_MAX_AGE
    seconds old, so that a write does not hold the next read for seconds. The list behind each
    count (flag_page) is always computed afresh."""
    cfg = current_app.config
    return kept_while_slow("flag-counts", township_id, (year,), lambda: reason_counts(year, township_id),
                           max_age=cfg["FLAG_COUNTS_MAX_AGE"], slow=cfg["FLAG_COUNTS_SLOW_SECONDS"])


@dataclass
class FlagPage:
    flags: list[Flag]
    #: the flagged visits by id, with their cadre, household and village; also the earlier visits
    #: whose photos a flagged visit's photos repeat
    visits: dict[int, Visit]
    #: for copied notes: the notes -> the ids of the visits of the year that have them
    copies: dict[str, list[int]]


def flag_page(year: int, township_id: int | None = None, reason: str | None = None) -> FlagPage:
    """The inspector's list: the flags with their visits, and where notes were copied, the copies.
    `reason`: only the visits with that reason (a figure of the dashboard lists exactly its visits)."""
    flags = visit_flags(year, township_id)
    if reason is not None:
        flags = [fl for fl in flags if reason in fl.reasons]
    wanted = {fl.visit_id for fl in flags} | {r.earlier_visit_id for fl in flags for r in fl.reused}
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_(wanted))
        .options(joinedload(Visit.cadre), joinedload(Visit.household), joinedload(Visit.village)))}
    copies = {}
    for fl in flags:
        if "copied_notes" in fl.reasons:
            text = visits[fl.visit_id].notes.strip()
            if text not in copies:
                copies[text] = record_evidence.copies_of(text, year)
    return FlagPage(flags, visits, copies)
