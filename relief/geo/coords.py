"""Coordinates as Chinese map apps give them, turned into the WGS-84 relief stores.

A phone's GPS and 天地图 (CGCS2000, within a metre of WGS-84) agree; 高德 and 腾讯 show GCJ-02 and
百度 BD-09, 100–700 m away. The conversions are prcoords' (public domain, the formulas every
Chinese converter uses); WGS-84 is recovered from GCJ-02 by iterating the forward formula.

For the villages import, two calls are enough:

    system = parse_system(cell)                 # '高德', 'GCJ02', '百度', '' ... → CoordSystem
    lat, lng = to_wgs84(lat, lng, system)       # converted, and refused outside China
"""
from __future__ import annotations

import math
import re
import unicodedata

import prcoords
from flask_babel import gettext as _

from relief.models.org import CoordSystem

__all__ = ["CoordSystem", "CoordinateError", "parse_system", "to_wgs84", "from_wgs84", "distance_m"]


class CoordinateError(ValueError):
    """Coordinates or a system name that cannot be used; str(err) says what to fix."""


# How offices write the systems: the usual names, the apps that use them, and relief's own labels.
_ALIASES = {
    CoordSystem.WGS84: ("wgs84", "wgs1984", "gps", "epsg4326", "4326", "天地图", "cgcs2000", "cgcs", "国家2000",
                        "2000国家大地坐标系", "2000坐标系", "北斗", "地球坐标"),
    CoordSystem.GCJ02: ("gcj02", "gcj", "国测局", "国测局坐标", "火星", "火星坐标", "高德", "高德地图", "腾讯",
                        "腾讯地图", "amap", "gaode", "tencent", "qq地图", "谷歌中国"),
    CoordSystem.BD09: ("bd09", "bd09ll", "百度", "百度地图", "baidu"),
}
_STRIP = re.compile(r"[\s\-_·.（）()]+")
_SUFFIXES = ("坐标系", "坐标", "系")


def _fold(text: str) -> str:
    out = _STRIP.sub("", unicodedata.normalize("NFKC", text).lower())
    for suffix in _SUFFIXES:
        if out.endswith(suffix) and len(out) > len(suffix):
            out = out.removesuffix(suffix)
            break
    return out


_LOOKUP = {_fold(alias): system for system, aliases in _ALIASES.items() for alias in aliases}


def parse_system(text) -> CoordSystem:
    """The system a name means ('WGS-84', 'GPS', '天地图', 'GCJ02', '高德', 'BD-09', '百度', ...);
    blank is WGS-84. Also takes relief's own labels and values ('gcj02', 'GCJ-02（高德、腾讯地图）')."""
    if isinstance(text, CoordSystem):
        return text
    raw = "" if text is None else str(text).strip()
    if not raw:
        return CoordSystem.WGS84
    for system in CoordSystem:
        if raw in (system.value, system.zh, system.short):
            return system
    head = re.split(r"[（(]", raw, maxsplit=1)[0]  # 'GCJ-02（高德）' → 'GCJ-02'
    for candidate in (raw, head):
        system = _LOOKUP.get(_fold(candidate))
        if system is not None:
            return system
    raise CoordinateError(_("不认识的坐标系“%(text)s”：请填 WGS-84（GPS、天地图）、GCJ-02（高德、腾讯地图）"
                            "或 BD-09（百度地图），不填表示 WGS-84", text=raw))


def _gcj_to_wgs(lat: float, lng: float) -> tuple[float, float]:
    """Invert GCJ-02 to well under a centimetre: prcoords' iteration stops at about a metre, so two
    more steps of the same fixed-point iteration follow."""
    wgs = prcoords.gcj_wgs_bored((lat, lng))
    for _step in range(2):
        shifted = prcoords.wgs_gcj(wgs, False)
        wgs = prcoords.Coords(wgs.lat - (shifted.lat - lat), wgs.lon - (shifted.lon - lng))
    return wgs.lat, wgs.lon


def _check_numbers(lat, lng) -> tuple[float, float]:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise CoordinateError(_("纬度和经度应为数字（度），例如 33.95 和 118.33")) from None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise CoordinateError(_("纬度和经度应为数字（度），例如 33.95 和 118.33"))
    return lat, lng


def to_wgs84(lat, lng, system: CoordSystem | str | None = CoordSystem.WGS84) -> tuple[float, float]:
    """(lat, lng) typed in `system`, as WGS-84; refused (CoordinateError) when not in China."""
    from relief.geo.counties import in_china

    system = parse_system(system)
    lat, lng = _check_numbers(lat, lng)
    if not in_china(lat, lng):
        if in_china(lng, lat):
            raise CoordinateError(_("纬度和经度填反了：中国境内纬度约在 18 到 54 度之间，经度约在 73 到 135 度之间"))
        raise CoordinateError(_("坐标（纬度 %(lat)s，经度 %(lng)s）不在中国境内：请检查数字，以及纬度、经度是否填反",
                                lat=_number(lat), lng=_number(lng)))
    if system is CoordSystem.GCJ02:
        lat, lng = _gcj_to_wgs(lat, lng)
    elif system is CoordSystem.BD09:
        gcj = prcoords.bd_gcj((lat, lng))
        lat, lng = _gcj_to_wgs(gcj.lat, gcj.lon)
    return lat, lng


def from_wgs84(lat: float, lng: float, system: CoordSystem) -> tuple[float, float]:
    """WGS-84 shown in another system (for tiles drawn in GCJ-02); never stored."""
    if system is CoordSystem.GCJ02:
        out = prcoords.wgs_gcj((lat, lng), False)
    elif system is CoordSystem.BD09:
        out = prcoords.wgs_bd((lat, lng), False)
    else:
        return lat, lng
    return out.lat, out.lon


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lng)."""
    return prcoords.Coords(*a).distance(prcoords.Coords(*b))


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")
