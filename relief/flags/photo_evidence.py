"""Photo evidence for the inspector: a picture used before, and a photo taken far from its visit's day.

reused_photo — a photo whose picture matches one already attached to a visit of another
household (or village), or of the same household on another day. Pictures are compared by
their pHash (relief.photos), which re-compression, resizing and small crops barely change: two
photos match when at most PHOTO_REUSE_MAX_DISTANCE of the 64 bits differ. The match is looked up
once, when the photo is stored, and kept on the photo (VisitPhoto.reused_photo_id), so the flags
read it back instead of comparing every photo with every other.

The lookup reads a handful of rows however many photos there are: the hash is cut into four
16-bit bands, each indexed. Two hashes within d bits of each other have, by pigeonhole, a band
within d // 4 bits, so the candidates are the photos with one band among the few values that
close to the new photo's band (137 values a band for d = 8: itself, 16 at one bit, 120 at two);
each candidate's full distance is then counted.

Photos of the same visit that resemble each other (several shots of one yard) never match each
other: a visit is not evidence against itself.

photo_date_mismatch — a photo whose own capture time (kept from its EXIF, China time) falls
more than PHOTO_DATE_MAX_DAYS days before or after the date its visit claims. A photo that
does not say when it was taken (WeChat and screenshots drop it) is not a flag.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import combinations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from relief.extensions import db
from relief.models import Visit, VisitPhoto
from relief.sqlfunc import seconds_between

from .record_evidence import Finding, claimed_in

BANDS = 4
BAND_BITS = 16
_MASK64 = (1 << 64) - 1
_BAND_MASK = (1 << BAND_BITS) - 1
BAND_COLUMNS = ("phash_b0", "phash_b1", "phash_b2", "phash_b3")


def bands(phash: int) -> tuple[int, ...]:
    """The four 16-bit bands of a (signed) 64-bit hash, low bits first."""
    bits = phash & _MASK64
    return tuple((bits >> (BAND_BITS * i)) & _BAND_MASK for i in range(BANDS))


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & _MASK64).bit_count()


@cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most `radius` bits set."""
    out = [0]
    for r in range(1, radius + 1):
        out.extend(sum(1 << i for i in bits) for bits in combinations(range(BAND_BITS), r))
    return tuple(out)


def near_band_values(value: int, max_distance: int) -> list[int]:
    """The band values a photo within `max_distance` bits may have in this band."""
    return [value ^ mask for mask in _flips(max_distance // BANDS)]


@dataclass(frozen=True)
class Earlier:
    photo_id: int
    visit_id: int
    distance: int


def earlier_match(phash: int, *, visit_id: int | None, household_id: int | None, village_id: int,
                  visited_on: date, max_distance: int | None = None) -> Earlier | None:
    """The closest photo already stored whose picture this one repeats, on a visit of another
    household or village, or of the same one on another day; None when there is none."""
    if max_distance is None:
        max_distance = current_app.config["PHOTO_REUSE_MAX_DISTANCE"]
    wanted = bands(phash)
    near = sa.or_(*(getattr(VisitPhoto, column).in_(near_band_values(value, max_distance))
                    for column, value in zip(BAND_COLUMNS, wanted, strict=True)))
    other_target = (Visit.household_id != household_id) if household_id is not None else \
        sa.or_(Visit.household_id.is_not(None), Visit.village_id != village_id)
    stmt = (sa.select(VisitPhoto.id, VisitPhoto.visit_id, VisitPhoto.phash)
            .join(Visit, Visit.id == VisitPhoto.visit_id)
            .where(near, sa.or_(other_target, Visit.visited_on != visited_on)))
    if visit_id is not None:
        stmt = stmt.where(VisitPhoto.visit_id != visit_id)
    best = None
    for pid, vid, other in db.session.execute(stmt):
        d = distance(phash, other)
        if d <= max_distance and (best is None or (d, pid) < (best.distance, best.photo_id)):
            best = Earlier(pid, vid, d)
    return best


def note_reuse(photo: VisitPhoto, *, visit_id: int | None, household_id: int | None, village_id: int,
               visited_on: date) -> None:
    """Fill a new photo's bands and, when its picture was used before, the earlier photo."""
    if photo.phash is None:
        return
    for column, value in zip(BAND_COLUMNS, bands(photo.phash), strict=True):
        setattr(photo, column, value)
    found = earlier_match(photo.phash, visit_id=visit_id, household_id=household_id, village_id=village_id,
                          visited_on=visited_on)
    if found is not None:
        photo.reused_photo_id, photo.reused_distance = found.photo_id, found.distance


def date_gap_days(taken_on: date, visited_on: date) -> int:
    """How many days apart the photo was taken and the visit claims to have happened."""
    return abs((taken_on - visited_on).days)


@dataclass(frozen=True)
class Reuse:
    """One photo of a flagged visit whose picture an earlier visit's photo already showed."""

    photo_id: int
    earlier_photo_id: int
    earlier_visit_id: int
    earlier_household_id: int | None
    earlier_village_id: int
    earlier_visited_on: date
    distance: int


@dataclass(frozen=True)
class DateGap:
    """One photo of a flagged visit taken too many days from the date the visit claims."""

    photo_id: int
    taken_at: datetime
    visited_on: date
    days_apart: int


def _same_occasion(household_id, village_id, visited_on, earlier_household_id, earlier_village_id,
                   earlier_visited_on) -> bool:
    """Whether two visits are one household's (or one village's) on one day: a match stored before
    one of them was edited to that day no longer counts."""
    same_target = (earlier_household_id == household_id if household_id is not None
                   else earlier_household_id is None and earlier_village_id == village_id)
    return same_target and earlier_visited_on == visited_on


def reused_photos(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """Visits claimed in the year with a photo whose picture an earlier visit's photo showed (the
    match found when the photo was stored), each with its evidence: `reused`, a list of Reuse."""
    earlier_photo = aliased(VisitPhoto)
    earlier = aliased(Visit)
    rows = db.session.execute(
        sa.select(Visit.id, Visit.client_uuid, Visit.household_id, Visit.village_id, Visit.visited_on,
                  VisitPhoto.id, earlier_photo.id, earlier.id, earlier.household_id, earlier.village_id,
                  earlier.visited_on, VisitPhoto.reused_distance)
        .join(VisitPhoto, VisitPhoto.visit_id == Visit.id)
        .join(earlier_photo, earlier_photo.id == VisitPhoto.reused_photo_id)
        .join(earlier, earlier.id == earlier_photo.visit_id)
        .where(claimed_in(year, township_id), VisitPhoto.reused_photo_id.is_not(None), earlier.id != Visit.id)
        .order_by(Visit.id, VisitPhoto.id))
    found: dict[int, tuple[str, list[Reuse]]] = {}
    for vid, uuid, household_id, village_id, visited_on, pid, epid, evid, ehh, evil, eday, dist in rows:
        if _same_occasion(household_id, village_id, visited_on, ehh, evil, eday):
            continue
        found.setdefault(vid, (uuid, []))[1].append(Reuse(pid, epid, evid, ehh, evil, eday, dist))
    for vid, (uuid, reused) in found.items():
        yield vid, uuid, {"reused": reused}


def photo_date_mismatches(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """Visits claimed in the year with a photo taken more than PHOTO_DATE_MAX_DAYS days before or
    after the claimed date, each with its evidence: `date_gaps`, a list of DateGap. A photo without
    a capture time says nothing."""
    most = current_app.config["PHOTO_DATE_MAX_DAYS"]
    # taken_at is China time and visited_on a China date: seconds from the claimed day's midnight
    since_midnight = seconds_between(VisitPhoto.taken_at, Visit.visited_on)
    rows = db.session.execute(
        sa.select(Visit.id, Visit.client_uuid, Visit.visited_on, VisitPhoto.id, VisitPhoto.taken_at)
        .join(VisitPhoto, VisitPhoto.visit_id == Visit.id)
        .where(claimed_in(year, township_id), VisitPhoto.taken_at.is_not(None),
               sa.or_(since_midnight < -most * 86400, since_midnight >= (most + 1) * 86400))
        .order_by(Visit.id, VisitPhoto.id))
    found: dict[int, tuple[str, list[DateGap]]] = {}
    for vid, uuid, visited_on, pid, taken_at in rows:
        gap = date_gap_days(taken_at.date(), visited_on)
        if gap > most:
            found.setdefault(vid, (uuid, []))[1].append(DateGap(pid, taken_at, visited_on, gap))
    for vid, (uuid, gaps) in found.items():
        yield vid, uuid, {"date_gaps": gaps}
