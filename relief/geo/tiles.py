"""Which base map the progress map draws on, from the settings.

- RELIEF_TILE_URL unset or `none`, no 天地图 key: relief's own base map (relief.maps.basemap),
  drawn from its data; the browser asks nothing of any other server.
- RELIEF_TIANDITU_KEY: 天地图's vector map (vec_w) with its Chinese labels (cva_w) on top, from
  t0–t7.tianditu.gov.cn, the only hosts the key is sent to.
- RELIEF_TILE_URL: any other tile template (e.g. an office's own tile server), attributed with
  RELIEF_TILE_ATTRIBUTION; RELIEF_TILE_CRS=gcj02 when those tiles are drawn in GCJ-02 (the
  points are then shifted on their way to the browser, never in the database). A template wins
  over a 天地图 key: an office that sets both has chosen its own server.

The Content-Security-Policy allows exactly the hosts of the chosen tiles (none by default).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from relief.geo.coords import CoordinateError, CoordSystem, parse_system

log = logging.getLogger(__name__)

TIANDITU_SUBDOMAINS = "01234567"
_TIANDITU = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
             "&TILECOL={{x}}&tk={key}")
#: 天地图's keys are 32 hexadecimal characters; anything else is a mistyped setting
_KEY = re.compile(r"^[0-9A-Za-z]{16,64}$")


@dataclass(frozen=True)
class TileLayer:
    url: str  # a Leaflet template: {s}, {z}, {x}, {y}
    subdomains: str
    attribution: str
    max_zoom: int = 18


@dataclass(frozen=True)
class Tiles:
    """The tile layers to draw (none: relief's own base map) and the system they are drawn in."""

    layers: tuple[TileLayer, ...] = ()
    crs: CoordSystem = CoordSystem.WGS84
    kind: str = "offline"  # offline, tianditu, template

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host the browser may fetch tiles from, https://… (for img-src)."""
        out = []
        for layer in self.layers:
            for sub in layer.subdomains or "-":
                parts = urlsplit(layer.url.replace("{s}", sub))
                if parts.scheme in ("http", "https") and parts.netloc:
                    origin = f"{parts.scheme}://{parts.netloc}"
                    if origin not in out:
                        out.append(origin)
        return tuple(out)


OFFLINE = Tiles()


def tianditu(key: str, attribution: str = "") -> Tiles:
    """天地图's vector map and its Chinese labels (CGCS2000: drawn as WGS-84)."""
    key = quote(key, safe="")
    attribution = attribution or "天地图"
    return Tiles(layers=tuple(TileLayer(_TIANDITU.format(layer=layer, key=key), TIANDITU_SUBDOMAINS, attribution)
                              for layer in ("vec", "cva")), kind="tianditu")


def from_config(config) -> Tiles:
    """The tiles the settings ask for; a setting that cannot be used is logged (once) and the map
    falls back to relief's own base map (a map without tiles beats a broken one)."""
    return _from_settings(*(str(config.get(name) or "").strip() for name in
                            ("TILE_URL", "TIANDITU_KEY", "TILE_ATTRIBUTION", "TILE_CRS", "TILE_SUBDOMAINS")))


@lru_cache(maxsize=8)
def _from_settings(url: str, key: str, attribution: str, crs_name: str, subdomains: str) -> Tiles:
    url = url or "none"
    if url.lower() != "none":
        if not url.startswith(("https://", "http://")) or "{z}" not in url:
            log.error("RELIEF_TILE_URL is not a tile template (https://…/{z}/{x}/{y}…): %r; "
                      "drawing relief's own base map", url)
            return OFFLINE
        try:
            crs = parse_system(crs_name or "wgs84")
        except CoordinateError:
            crs = None
        if crs not in (CoordSystem.WGS84, CoordSystem.GCJ02):
            # 百度's tiles are not on the usual Web Mercator grid: no Leaflet template can use them
            log.error("RELIEF_TILE_CRS must be wgs84 or gcj02, not %r; drawing relief's own base map", crs_name)
            return OFFLINE
        subdomains = subdomains or "abc"
        return Tiles(layers=(TileLayer(url, subdomains if "{s}" in url else "", attribution),), crs=crs,
                     kind="template")
    if key:
        if not _KEY.match(key):
            log.error("RELIEF_TIANDITU_KEY is not a 天地图 key (letters and digits); drawing relief's own base map")
            return OFFLINE
        return tianditu(key, attribution)
    return OFFLINE
