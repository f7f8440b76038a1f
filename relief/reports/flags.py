"""Signs that a visit record was made up (DESIGN.md rule 5). Flags never change data.

late_record       recorded more than FLAG_LATE_DAYS (7) days after the date it claims
far_from_village  GPS more than FLAG_FAR_KM (5) km from its village
burst             FLAG_BURST_COUNT (5) or more visits recorded by one cadre within FLAG_BURST_MINUTES (10)
copied_notes      the same notes of FLAG_COPIED_MIN_CHARS (15)+ characters on FLAG_COPIED_MIN_VISITS (3)+ visits
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.models import Village, Visit
from relief.sqlfunc import seconds_between

REASONS = ("late_record", "far_from_village", "burst", "copied_notes")
#: China is UTC+8: recorded_at is stored in UTC, visited_on is a China date
_CST_OFFSET_S = 8 * 3600


@dataclass
class Flag:
    visit_id: int
    client_uuid: str
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None


def distance_km(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance (haversine)."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def visit_flags(year: int, township_id: int | None = None) -> list[Flag]:
    """Flagged visits claimed in `year`, each with all its reasons, ordered by visit id."""
    cfg = current_app.config
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_year = sa.and_(Visit.visited_on.between(first, last),
                      Visit.township_id == township_id if township_id else sa.true())
    flags: dict[int, Flag] = {}

    def flag(vid, uuid, reason, **extra):
        item = flags.setdefault(vid, Flag(vid, uuid))
        if reason not in item.reasons:
            item.reasons.append(reason)
        for k, v in extra.items():
            setattr(item, k, v)

    # late_record: the China date of recording minus the claimed date exceeds the limit
    late_s = (cfg["FLAG_LATE_DAYS"] + 1) * 86400 - _CST_OFFSET_S
    for vid, uuid in db.session.execute(
            sa.select(Visit.id, Visit.client_uuid)
            .where(in_year, seconds_between(Visit.recorded_at, Visit.visited_on) >= late_s)):
        flag(vid, uuid, "late_record")

    # far_from_village: a cheap box in SQL (every point beyond the radius lies outside it), exact in Python
    limit_km = cfg["FLAG_FAR_KM"]
    box = limit_km / math.sqrt(2) / 111.32
    rows = db.session.execute(
        sa.select(Visit.id, Visit.client_uuid, Visit.lat, Visit.lng, Village.lat, Village.lng)
        .join(Village, Village.id == Visit.village_id)
        .where(in_year, Visit.lat.is_not(None), Visit.lng.is_not(None), Village.lat.is_not(None),
               Village.lng.is_not(None),
               sa.or_(sa.func.abs(Visit.lat - Village.lat) > box, sa.func.abs(Visit.lng - Village.lng) > box)))
    for vid, uuid, lat, lng, vlat, vlng in rows:
        d = distance_km(lat, lng, vlat, vlng)
        if d > limit_km:
            flag(vid, uuid, "far_from_village", distance_km=round(d, 1))

    # burst: some run of N consecutive recordings by one cadre spans at most M minutes
    n, span = cfg["FLAG_BURST_COUNT"], cfg["FLAG_BURST_MINUTES"] * 60
    order = dict(partition_by=Visit.cadre_id, order_by=(Visit.recorded_at, Visit.id))
    lags = [sa.func.lag(Visit.recorded_at, k).over(**order) if k else Visit.recorded_at for k in range(n)]
    leads = [sa.func.lead(Visit.recorded_at, k).over(**order) if k else Visit.recorded_at for k in range(n)]
    windowed = sa.select(Visit.id, Visit.client_uuid, Visit.visited_on, Visit.township_id,
                         *[lags[k].label(f"lag{k}") for k in range(n)],
                         *[leads[k].label(f"lead{k}") for k in range(n)]).subquery()
    inside = sa.or_(*[seconds_between(windowed.c[f"lead{n - 1 - k}"], windowed.c[f"lag{k}"]) <= span
                      for k in range(n)])
    window_year = sa.and_(windowed.c.visited_on.between(first, last),
                          windowed.c.township_id == township_id if township_id else sa.true())
    for vid, uuid in db.session.execute(sa.select(windowed.c.id, windowed.c.client_uuid).where(window_year, inside)):
        flag(vid, uuid, "burst")

    # copied_notes: the same (trimmed) text of enough length on enough visits
    min_chars, min_visits = cfg["FLAG_COPIED_MIN_CHARS"], cfg["FLAG_COPIED_MIN_VISITS"]
    text = sa.func.trim(Visit.notes)
    copied = (sa.select(text.label("t")).where(in_year, sa.func.length(text) >= min_chars)
              .group_by(text).having(sa.func.count() >= min_visits).subquery())
    for vid, uuid in db.session.execute(
            sa.select(Visit.id, Visit.client_uuid).where(in_year, text.in_(sa.select(copied.c.t)))):
        flag(vid, uuid, "copied_notes")

    for item in flags.values():
        item.reasons.sort(key=REASONS.index)
    return [flags[k] for k in sorted(flags)]


def copies_of(notes: str, year: int) -> list[int]:
    """Ids of the visits of `year` with the same trimmed notes."""
    return db.session.scalars(sa.select(Visit.id).where(
        sa.func.trim(Visit.notes) == notes.strip(),
        Visit.visited_on.between(date(year, 1, 1), date(year, 12, 31))).order_by(Visit.id)).all()
