"""The heavy jobs of `make bench`: roster import, yearly export, map render, province on PostgreSQL.

Each job runs in a process of its own (its time and peak memory are its own), prints one JSON
line, and is judged against its target by `verdicts`. Province figures are measured only when
RELIEF_BENCH_PG_URL names a PostgreSQL database (it is emptied and filled: see bench/province.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IMPORT_SECONDS = 10
EXPORT_RATIO, EXPORT_MB = 0.4, 250
MAP_SECONDS, MAP_BYTES = 0.5, 2 * 1024 * 1024
SQL_RATIO = 1.5
#: a cadre's page at the largest size within this factor of the smallest; import and export per household
GROWTH_FLAT, GROWTH_LINEAR = 2, 1.5
#: the dashboards while visits are written (bench/province.py --under-writes): p50, p95 in ms
UNDER_WRITES = {"dashboard, the whole province (admin)": (300, 1000), "dashboard, one township (leader)": (None, 200)}


def _json_of(*args: str, timeout: int = 1800) -> dict:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "RELIEF_SECRET_KEY": "bench"})
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_all(url: str, out_dir: Path) -> dict:
    """Every heavy job against the district database at `url` (import and map build their own)."""
    from bench import export_district

    results: dict = {}
    print("  import of 20,000 households ...", flush=True)
    results["import"] = _json_of("bench.import_households", "--json")
    print(f"    {results['import']['first_s']} s (second run, all unchanged: {results['import']['second_s']} s)")
    print("  import of 20,000 households from an office's .xls (title, merged cells, footer) ...", flush=True)
    results["import_xls"] = _json_of("bench.import_households", "--format", "xls", "--json")
    print(f"    {results['import_xls']['first_s']} s (second run: {results['import_xls']['second_s']} s)")
    print("  yearly export ...", flush=True)
    folder = Path(out_dir) / "export"
    folder.mkdir(parents=True, exist_ok=True)
    results["export"] = export_district.measure(url, date.today().year, folder)
    e = results["export"]
    print(f"    {e['export_s']} s, peak {e['peak_mb']} MB; raw xlsxwriter {e['raw_s']} s; ratio {e['ratio']}")
    print("  the candidate xlsx writers on the export's cells ...", flush=True)
    e["writers"] = export_district._child("writers", url, date.today().year, folder / "writer.xlsx")
    for name, w in e["writers"].items():
        print(f"    {name}: {w['seconds']} s (+{w['added_mb']} MB)")
    print("  how cost grows (small, district, a stand-in for ten districts) ...", flush=True)
    from bench import growth

    results["growth"] = growth.measure(url)
    (ROOT / "docs" / "growth.svg").write_text(growth.svg(results["growth"]))
    results["map"] = {}
    for n in (400, 10_000):
        print(f"  map of {n:,} villages ...", flush=True)
        m = results["map"][str(n)] = _json_of("bench.map_render", "--villages", str(n), "--json")
        print(f"    cold {m['cold_s'] * 1000:.0f} ms (render {m['render_s'] * 1000:.0f} ms), "
              f"{m['bytes'] / 1e6:.2f} MB")
    pg = os.environ.get("RELIEF_BENCH_PG_URL")
    if pg:
        print("  province data on PostgreSQL ...", flush=True)
        results["province"] = _json_of("bench.province", "--database-url", pg, "--json", timeout=6 * 3600)
        for name, r in results["province"]["pages"].items():
            print(f"    {name}: median {r['app_ms']:.0f} ms, its SQL {r['sql_ms']:.0f} ms, ratio {r['ratio']:.2f}")
    return results


def verdicts(results: dict) -> list[dict]:
    """One row per target: what it says, the measured value, met or not."""
    rows = []
    i = results["import"]
    rows.append({"target": f"import of {i['households']:,} households ≤ {IMPORT_SECONDS} s",
                 "value": f"{i['first_s']:.1f} s", "met": i["first_s"] <= IMPORT_SECONDS})
    x = results.get("import_xls")
    if x:
        rows.append({"target": f"import of {x['households']:,} households from an office's .xls ≤ {IMPORT_SECONDS} s",
                     "value": f"{x['first_s']:.1f} s", "met": x["first_s"] <= IMPORT_SECONDS})
    e = results["export"]
    rows.append({"target": f"yearly export ≤ {EXPORT_RATIO} × raw xlsxwriter write of the same rows",
                 "value": f"{e['ratio']:.2f} ({e['export_s']:.1f} s / {e['raw_s']:.1f} s; CPU "
                          f"{e.get('cpu_ratio', '–')})",
                 "met": e["ratio"] <= EXPORT_RATIO})
    rows.append({"target": f"yearly export peak memory ≤ {EXPORT_MB} MB", "value": f"{e['peak_mb']} MB",
                 "met": e["peak_mb"] <= EXPORT_MB})
    g = results.get("growth")
    if g:
        small, district, large = g[0], g[1], g[-1]
        per = {k: [r[k] / r["households"] for r in g] for k in ("import_s", "export_s")}
        rows.append({"target": f"cadre home flat: at {large['households']:,} households ≤ {GROWTH_FLAT} × at "
                               f"{small['households']:,}",
                     "value": f"{large['cadre_home_ms']} ms / {small['cadre_home_ms']} ms",
                     "met": large["cadre_home_ms"] <= GROWTH_FLAT * small["cadre_home_ms"]})
        for k, label in (("import_s", "import"), ("export_s", "export")):
            rows.append({"target": f"{label} linear: time per household at {large['households']:,} ≤ {GROWTH_LINEAR} × "
                                   f"at {district['households']:,}",
                         "value": f"{per[k][-1] * 1000:.2f} / {per[k][1] * 1000:.2f} ms",
                         "met": per[k][-1] <= GROWTH_LINEAR * per[k][1]})
            rows.append({"target": f"{label} memory flat: peak at {large['households']:,} households ≤ {EXPORT_MB} MB",
                         "value": f"{large[k.replace('_s', '_peak_mb')]} MB",
                         "met": large[k.replace("_s", "_peak_mb")] <= EXPORT_MB})
    for n, m in results["map"].items():
        rows.append({"target": f"map of {int(n):,} villages (GET /map/frame, uncached) ≤ {MAP_SECONDS} s",
                     "value": f"{m['cold_s']:.2f} s", "met": m["cold_s"] <= MAP_SECONDS})
        if int(n) >= 10_000:
            rows.append({"target": f"map of {int(n):,} villages ≤ {MAP_BYTES // 1024 // 1024} MB",
                         "value": f"{m['bytes'] / 1024 / 1024:.2f} MB", "met": m["bytes"] <= MAP_BYTES})
    province = results.get("province")
    if province:
        for name, r in province["pages"].items():
            if not r["judged"]:
                continue
            rows.append({"target": f"province sample, {name}: median ≤ {SQL_RATIO} × its own SQL (PostgreSQL)",
                         "value": f"{r['ratio']:.2f} ({r['app_ms']:.0f} ms / {r['sql_ms']:.0f} ms)",
                         "met": r["ratio"] <= SQL_RATIO})
        w = province.get("under_writes")
        if w:
            rows.append({"target": f"province sample under writes: {w['rate']:g} visits/s posted, none refused",
                         "value": f"{w['writes_per_s']} visits/s, {w['writes_refused']} refused",
                         "met": w["writes_per_s"] >= 0.9 * w["rate"] and not w["writes_refused"]})
            for name, (p50, p95) in UNDER_WRITES.items():
                r = w[name]
                limits = ([f"p50 ≤ {p50} ms"] if p50 else []) + [f"p95 ≤ {p95} ms"]
                rows.append({"target": f"province sample under writes, {name}: {', '.join(limits)}",
                             "value": f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms",
                             "met": (not p50 or r["p50_ms"] <= p50) and r["p95_ms"] <= p95})
    return rows
