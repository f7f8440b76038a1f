"""relief's own base map, drawn from its data: the district's outline, its townships, village names.

The default base layer (no tile server): nothing on it comes from outside the server.

- The outline is the district's county outline from relief/data/cn_counties.json.gz when the
  district is known: the DISTRICT setting (a county code such as 321311, or a name such as
  宿迁市宿豫区), or else the county that holds at least half of the villages. Otherwise (villages
  spread over several counties, or DISTRICT=none) it is the villages' own hull, widened a little.
- Each township's area is the part of the outline nearer to its villages than to any other
  village: the Voronoi cells of all villages, merged per township, clipped to the outline and
  simplified together so neighbours share one border. Townships have no official boundaries in
  relief's data, and the map says these are a sketch.

Built once per change of the villages' positions, townships or the setting (a hash of them names
it) and kept as JSON in the instance folder, which every app process on the machine reads; each
process also keeps the latest in memory, found again by one aggregate query.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from flask import current_app
from shapely.ops import polylabel

from relief.extensions import db
from relief.geo import counties
from relief.geo.coords import CoordSystem, from_wgs84
from relief.models import Township, Village
from relief.scope import sees_everything

log = logging.getLogger(__name__)

#: raise when the way a base map is built changes: kept maps are then built again
BUILD = 2
#: degrees (~50 m): township borders are simplified this much, together
AREA_TOLERANCE = 0.0005
#: how many township fill colours; neighbours never share one while the palette allows
COLOURS = 7
KEEP_FILES = 3

_lock = threading.Lock()
_memo: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()


# -- reading the villages ------------------------------------------------------------------------

def _points() -> list[tuple]:
    """(village id, township id, township name, lat, lng) of every placed village: all of the
    district's, whoever asks, since every village shapes the areas (no row of them is shown).
    Plain rows in one query: a province has tens of thousands."""
    return db.session.connection().execute(
        sa.select(Village.id, Village.township_id, Township.name, Village.lat, Village.lng)
        .join(Township, Township.id == Village.township_id)
        .where(Village.lat.is_not(None), Village.lng.is_not(None))
        .order_by(Village.id)).all()


def signature(points, district: str) -> str:
    """What the areas depend on: positions, townships and the setting (not the villages' names)."""
    text = "|".join(f"{p[0]},{p[1]},{p[2]},{p[3]:.6f},{p[4]:.6f}" for p in points)
    head = f"{BUILD}|{district}|{counties.DATA.stat().st_size}|"
    return hashlib.sha256((head + text).encode()).hexdigest()[:32]


# -- building ------------------------------------------------------------------------------------

def _outline_county(points, district: str) -> counties.County | None:
    setting = (district or "").strip()
    if setting.lower() == "none":
        return None
    if setting:
        found = counties.find(setting)
        if len(found) == 1:
            return found[0]
        log.error("RELIEF_DISTRICT=%r names %s; using the county that holds most villages instead", setting,
                  "several counties: " + ", ".join(f"{c.code} {c.full_name}" for c in found) if found
                  else "no county (give its 6-digit code, e.g. 321311, or its name, e.g. 宿迁市宿豫区)")
    county, held = counties.containing_most([(p[3], p[4]) for p in points])
    return county if county is not None and 2 * held >= len(points) else None


def _hull(xy: np.ndarray):
    """The villages' concave hull, widened by about the distance between neighbouring villages."""
    cloud = shapely.MultiPoint(xy)
    hull = shapely.concave_hull(cloud, ratio=0.4) if len(xy) >= 3 else cloud
    spacing = math.sqrt(hull.area / len(xy)) if hull.area > 0 else 0.0
    return hull.buffer(max(0.8 * spacing, 0.01))


def _neighbours(unique: np.ndarray, township_of: list[int]) -> dict[int, set[int]]:
    """Townships whose areas touch: those of villages joined by an edge of the Delaunay
    triangulation (the Voronoi cells of its two ends share a side)."""
    out: dict[int, set[int]] = {t: set() for t in township_of}
    if len(unique) < 2:
        return out
    index = {(x, y): i for i, (x, y) in enumerate(unique.tolist())}
    edges = shapely.delaunay_triangles(shapely.MultiPoint(unique), only_edges=True)
    for edge in shapely.get_parts(edges):
        (ax, ay), (bx, by) = shapely.get_coordinates(edge).tolist()
        a, b = township_of[index[(ax, ay)]], township_of[index[(bx, by)]]
        if a != b:
            out[a].add(b)
            out[b].add(a)
    return out


def _colours(neighbours: dict[int, set[int]]) -> dict[int, int]:
    """A fill colour per township so that neighbours differ (greedy, busiest townships first)."""
    colours: dict[int, int] = {}
    for t in sorted(neighbours, key=lambda t: (-len(neighbours[t]), t)):
        used = [colours[n] for n in neighbours[t] if n in colours]
        free = [c for c in range(COLOURS) if c not in used]
        colours[t] = free[0] if free else min(range(COLOURS), key=used.count)
    return colours


def _bounds(geometry) -> list[float]:
    minx, miny, maxx, maxy = geometry.bounds
    return [round(miny, 5), round(minx, 5), round(maxy, 5), round(maxx, 5)]


def build(points, district: str) -> dict:
    """The outline, and each township's area, name, label point, colour and bounds (WGS-84)."""
    county = _outline_county(points, district) if points else None
    lat0 = float(np.mean([p[3] for p in points])) if points else 0.0
    k = math.cos(math.radians(lat0))  # Voronoi cells in metres' proportions, not degrees'
    xy = np.array([(p[4] * k, p[3]) for p in points]).reshape(-1, 2)
    to_plane = lambda a: a * np.array([k, 1.0])  # noqa: E731
    from_plane = lambda a: a / np.array([k, 1.0])  # noqa: E731
    if county is not None:
        clip = shapely.make_valid(shapely.transform(county.outline, to_plane))
    elif len(xy):
        clip = _hull(xy)
    else:
        return {"build": BUILD, "district": {"name": "", "code": "", "source": "none"}, "outline": [],
                "bounds": None, "townships": {}}
    shapely.prepare(clip)

    unique, first = np.unique(np.round(xy, 7), axis=0, return_index=True)
    if len(unique) == 1:
        cells = [clip]
    else:
        cells = list(shapely.voronoi_polygons(shapely.MultiPoint(unique), extend_to=clip, ordered=True).geoms)
    township_of = [points[i][1] for i in first]
    by_township: dict[int, list] = {}
    names: dict[int, str] = {}
    for cell, index in zip(cells, first):
        tid, tname = points[index][1], points[index][2]
        by_township.setdefault(tid, []).append(cell)
        names[tid] = tname
    tids = sorted(by_township)
    areas = [shapely.intersection(shapely.coverage_union_all(by_township[t]), clip) for t in tids]
    if len(areas) > 1:
        try:
            areas = list(shapely.coverage_simplify(areas, AREA_TOLERANCE))
        except shapely.errors.GEOSException:  # not a clean coverage after the clip: each on its own
            areas = [shapely.simplify(a, AREA_TOLERANCE) for a in areas]
    colours = _colours(_neighbours(unique, township_of))
    townships = {}
    for tid, area in zip(tids, areas):
        parts = counties.polygons(area)
        if not parts:
            continue
        largest = max(parts, key=lambda p: p.area)
        label = polylabel(largest, tolerance=AREA_TOLERANCE)
        area = shapely.transform(area, from_plane)
        townships[str(tid)] = {"name": names[tid], "colour": colours[tid], "bounds": _bounds(area),
                               "size": round(float(area.area), 7),
                               "label": [round(label.y, 5), round(label.x / k, 5)],
                               "area": counties.encode(area)}
    outline = shapely.transform(clip, from_plane)
    return {"build": BUILD,
            "district": {"name": county.full_name if county else "", "code": county.code if county else "",
                         "source": "county" if county else "hull"},
            "outline": counties.encode(outline), "bounds": _bounds(outline), "townships": townships}


# -- keeping -------------------------------------------------------------------------------------

def _folder() -> Path:
    return Path(current_app.instance_path) / "basemap"


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("build") == BUILD else None


def _write(path: Path, data: dict) -> None:
    """Atomically (another process may be reading it), then drop all but the newest few."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        log.exception("cannot keep the base map in %s; it is built again by each process", path.parent)


def _fingerprint() -> tuple:
    """A cheap summary of the villages' positions and townships (one aggregate query), which
    changes when any of them does; it only picks the kept map in memory, for MAP_CACHE_SECONDS at
    most, after which the full signature is worked out again."""
    v = Village.__table__.c
    row = db.session.connection().execute(
        sa.select(sa.func.count(), sa.func.max(v.id), sa.func.sum(v.id * v.township_id),
                  sa.func.sum(v.id * v.lat), sa.func.sum(v.id * v.lng), sa.func.sum(v.township_id * v.lat))
        .where(v.lat.is_not(None), v.lng.is_not(None))).one()
    names = db.session.connection().execute(
        sa.select(sa.func.sum(Township.id * sa.func.length(Township.name)), sa.func.count())).one()
    return (*(round(float(x or 0), 4) for x in row), *names, current_app.config.get("DISTRICT") or "")


def current(points=None) -> dict:
    """The base map of the villages as they are now: from memory, the instance folder, or built."""
    fingerprint = _fingerprint() if points is None else None
    now = time.monotonic()
    with _lock:
        hit = _memo.get(fingerprint) if fingerprint else None
        if hit is not None and now - hit[0] <= current_app.config["MAP_CACHE_SECONDS"]:
            _memo.move_to_end(fingerprint)
            return hit[1]
    points = _points() if points is None else points
    district = current_app.config.get("DISTRICT") or ""
    path = _folder() / f"{signature(points, district)}.json"
    data = _read(path)
    if data is None:
        data = build(points, district)
        _write(path, data)
    if fingerprint:
        with _lock:
            _memo[fingerprint] = (now, data)
            while len(_memo) > KEEP_FILES:
                _memo.popitem(last=False)
    return data


# -- what one map shows --------------------------------------------------------------------------

def _shift_polygons(polygons, crs: CoordSystem):
    if crs is CoordSystem.WGS84 or not polygons:
        return polygons
    geometry = counties.decode(polygons, counties.SCALE)
    moved = shapely.transform(geometry, lambda a: np.array([from_wgs84(lat, lng, crs)[::-1] for lng, lat in a]))
    return counties.encode(moved)


def shift(lat: float, lng: float, crs: CoordSystem) -> tuple[float, float]:
    """A stored (WGS-84) position as the map draws it: in the tiles' system, to ~1 m."""
    if crs is not CoordSystem.WGS84:
        lat, lng = from_wgs84(lat, lng, crs)
    return round(lat, 5), round(lng, 5)


def layer(user, township_id: int | None, drawn: set[int], crs: CoordSystem = CoordSystem.WGS84) -> dict:
    """The base layer of one map: the outline, the townships shown (one, or all of the district)
    and the names of their villages that the village layer does not draw (it draws the weak ones,
    `drawn`). The district's map is for those who see everything (the view asks
    scope.township_of_request for a township otherwise)."""
    if township_id is None and not sees_everything(user):
        raise PermissionError("the district's base map is for those who see every township")
    data = current()
    townships = data["townships"]
    # largest first: where names would overlap, the larger township's is the one shown
    shown = [str(township_id)] if township_id else sorted(townships, key=lambda t: (-townships[t]["size"], t))
    stmt = (sa.select(Village.id, Village.lat, Village.lng, Village.name)
            .where(Village.lat.is_not(None), Village.lng.is_not(None), Village.is_weak.is_(False))
            .order_by(Village.id))
    if township_id:
        stmt = stmt.where(Village.township_id == township_id)
    labels = [[*shift(lat, lng, crs), name] for vid, lat, lng, name in db.session.connection().execute(stmt)
              if vid not in drawn]
    focus = townships[str(township_id)]["bounds"] if township_id and str(township_id) in townships else None
    return {
        "scale": counties.SCALE,
        "district": data["district"],
        "outline": _shift_polygons(data["outline"], crs),
        "bounds": _shift_bounds(focus or data["bounds"], crs),
        "townships": [[townships[t]["name"], townships[t]["colour"], *shift(*townships[t]["label"], crs),
                       _shift_polygons(townships[t]["area"], crs)] for t in shown if t in townships],
        "labels": labels,
    }


def _shift_bounds(bounds, crs: CoordSystem):
    if bounds is None or crs is CoordSystem.WGS84:
        return bounds
    return [*shift(bounds[0], bounds[1], crs), *shift(bounds[2], bounds[3], crs)]
