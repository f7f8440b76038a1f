"""Signs in a visit record itself that it was made up (DESIGN.md rule 5): when it was recorded,
where, how fast after others, and what it says. Flags never change data.

late_record       recorded more than FLAG_LATE_DAYS (7) days after the date it claims
far_from_village  GPS more than FLAG_FAR_KM (5) km from its village
burst             FLAG_BURST_COUNT (5) or more visits recorded by one cadre within FLAG_BURST_MINUTES (10)
copied_notes      the same notes of FLAG_COPIED_MIN_CHARS (15)+ characters on FLAG_COPIED_MIN_VISITS (3)+ visits

Each check takes the year and the township asked for and yields (visit id, client uuid, details)
for the visits it flags; relief.flags.services runs every check and gathers the reasons.
What the visit's photos show is checked beside these, in relief.flags.photo_evidence.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.models import Village, Visit
from relief.scope import flags_limit
from relief.sqlfunc import seconds_between

#: China is UTC+8: recorded_at is stored in UTC, visited_on is a China date
_CST_OFFSET_S = 8 * 3600

#: (visit id, client uuid, details for the flag such as distance_km)
Finding = tuple[int, str, dict]


def distance_km(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance (haversine)."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def claimed_in(year: int, township_id: int | None):
    """Visits claimed in the year (in the township asked for: scope.flags_limit)."""
    return sa.and_(Visit.visited_on.between(*_year(year)), flags_limit(township_id))


def late_records(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """The China date of recording minus the claimed date exceeds FLAG_LATE_DAYS."""
    late_s = (current_app.config["FLAG_LATE_DAYS"] + 1) * 86400 - _CST_OFFSET_S
    for vid, uuid in db.session.execute(
            sa.select(Visit.id, Visit.client_uuid)
            .where(claimed_in(year, township_id), seconds_between(Visit.recorded_at, Visit.visited_on) >= late_s)):
        yield vid, uuid, {}


def far_from_village(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """GPS beyond FLAG_FAR_KM of the village: a cheap box in SQL (every point beyond the radius lies
    outside it), the exact distance in Python."""
    limit_km = current_app.config["FLAG_FAR_KM"]
    box = limit_km / math.sqrt(2) / 111.32
    rows = db.session.execute(
        sa.select(Visit.id, Visit.client_uuid, Visit.lat, Visit.lng, Village.lat, Village.lng)
        .join(Village, Village.id == Visit.village_id)
        .where(claimed_in(year, township_id), Visit.lat.is_not(None), Visit.lng.is_not(None),
               Village.lat.is_not(None), Village.lng.is_not(None),
               sa.or_(sa.func.abs(Visit.lat - Village.lat) > box, sa.func.abs(Visit.lng - Village.lng) > box)))
    for vid, uuid, lat, lng, vlat, vlng in rows:
        d = distance_km(lat, lng, vlat, vlng)
        if d > limit_km:
            yield vid, uuid, {"distance_km": round(d, 1)}


def bursts(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """Some run of FLAG_BURST_COUNT consecutive recordings by one cadre spans at most
    FLAG_BURST_MINUTES. The runs are read over all of the cadre's recordings (every township and
    year); the visits flagged are those of the year and the township asked for."""
    cfg = current_app.config
    n, span = cfg["FLAG_BURST_COUNT"], cfg["FLAG_BURST_MINUTES"] * 60
    order = dict(partition_by=Visit.cadre_id, order_by=(Visit.recorded_at, Visit.id))
    lags = [sa.func.lag(Visit.recorded_at, k).over(**order) if k else Visit.recorded_at for k in range(n)]
    leads = [sa.func.lead(Visit.recorded_at, k).over(**order) if k else Visit.recorded_at for k in range(n)]
    windowed = sa.select(Visit.id, Visit.client_uuid, Visit.visited_on, Visit.township_id,
                         *[lags[k].label(f"lag{k}") for k in range(n)],
                         *[leads[k].label(f"lead{k}") for k in range(n)]).subquery()
    inside = sa.or_(*[seconds_between(windowed.c[f"lead{n - 1 - k}"], windowed.c[f"lag{k}"]) <= span
                      for k in range(n)])
    in_year = sa.and_(windowed.c.visited_on.between(*_year(year)), flags_limit(township_id, windowed.c.township_id))
    for vid, uuid in db.session.execute(sa.select(windowed.c.id, windowed.c.client_uuid).where(in_year, inside)):
        yield vid, uuid, {}


def copied_notes(year: int, township_id: int | None = None) -> Iterator[Finding]:
    """The same (trimmed) notes of FLAG_COPIED_MIN_CHARS or more on FLAG_COPIED_MIN_VISITS or more visits."""
    cfg = current_app.config
    min_chars, min_visits = cfg["FLAG_COPIED_MIN_CHARS"], cfg["FLAG_COPIED_MIN_VISITS"]
    in_year = claimed_in(year, township_id)
    text = sa.func.trim(Visit.notes)
    copied = (sa.select(text.label("t")).where(in_year, sa.func.length(text) >= min_chars)
              .group_by(text).having(sa.func.count() >= min_visits).subquery())
    for vid, uuid in db.session.execute(
            sa.select(Visit.id, Visit.client_uuid).where(in_year, text.in_(sa.select(copied.c.t)))):
        yield vid, uuid, {}


def copies_of(notes: str, year: int) -> list[int]:
    """Ids of the visits of `year` with the same trimmed notes."""
    return db.session.scalars(sa.select(Visit.id).where(
        sa.func.trim(Visit.notes) == notes.strip(), Visit.visited_on.between(*_year(year))).order_by(Visit.id)).all()
