"""`make bench`: build district data, load gunicorn with wrk, time the heavy jobs, check the targets.

Every HTTP target is a ratio of throughput to /healthz measured in the same run, because these
machines are noisy. Results go to bench/results.json and docs/benchmarks.md.
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

from bench import jobs
from bench.load import api_token, dumps, gunicorn, post_visits_script, session_cookie, wrk

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-password-一二三"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))

#: (name, path, who, minimum throughput as a fraction of /healthz)
HTTP_TARGETS = [
    ("healthz", "/healthz", None, None),
    ("cadre_home", "/", "cadre", 0.3),
    ("me_households", "/api/v1/me/households", "cadre_token", 0.5),
    ("dashboard", "/dashboard", "leader", 0.2),
    ("map", "/map", "admin", 0.1),
    ("villages_progress", "/api/v1/villages/progress", "admin_token", 0.4),
]


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


def http_round(url: str) -> dict:
    results = {}
    with gunicorn(url) as base:
        auth = {
            "cadre": {"Cookie": session_cookie(base, "demo-cadre", PASSWORD)},
            "leader": {"Cookie": session_cookie(base, "demo-leader", PASSWORD)},
            "admin": {"Cookie": session_cookie(base, "demo-admin", PASSWORD)},
            "cadre_token": {"Authorization": f"Bearer {api_token(base, 'demo-cadre', PASSWORD)}"},
            "admin_token": {"Authorization": f"Bearer {api_token(base, 'demo-admin', PASSWORD)}"},
        }
        for name, path, who, _target in HTTP_TARGETS:
            results[name] = wrk(base + path, seconds=SECONDS, headers=auth.get(who))
            print(f"  {name:18} {results[name]['rps']:8.0f} req/s  p50 {results[name]['p50_ms']:7.1f} ms  "
                  f"p99 {results[name]['p99_ms']:7.1f} ms  non-2xx {results[name]['non_2xx']}")
        import requests

        token = auth["cadre_token"]["Authorization"].split()[1]
        households = [h["id"] for h in requests.get(base + "/api/v1/me/households",
                                                    headers=auth["cadre_token"]).json()]
        script = post_visits_script(token, households, date.today().isoformat())
        results["post_visits"] = wrk(base + "/api/v1/visits", seconds=SECONDS, script=script)
        r = results["post_visits"]
        print(f"  {'post_visits':18} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
              f"non-2xx {r['non_2xx']}")
    return results


def verdicts(http: dict, heavy: dict, demo_s: float) -> list[dict]:
    ref = http["healthz"]["rps"]
    rows = []
    for name, _path, _who, target in HTTP_TARGETS[1:]:
        ratio = http[name]["rps"] / ref
        ok = ratio >= target and http[name]["non_2xx"] == 0
        rows.append({"target": f"{name} throughput ≥ {target} × /healthz", "value": f"{ratio:.2f}", "met": ok})
    pv = http["post_visits"]
    ratio = pv["rps"] / ref
    rows.append({"target": "POST /api/v1/visits ≥ 0.2 × /healthz, no error", "value": f"{ratio:.2f}",
                 "met": ratio >= 0.2 and pv["non_2xx"] == 0 and not pv["socket_errors"]})
    rows.append({"target": "district demo ≤ 60 s", "value": f"{demo_s:.1f} s", "met": demo_s <= 60})
    for row in jobs.verdicts(heavy):
        rows.append(row)
    return rows


def write_report(http: dict, heavy: dict, demo_s: float, rows: list[dict]) -> None:
    results = {"when": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
               "cpus": os.cpu_count(), "seconds_per_endpoint": SECONDS, "demo_district_s": round(demo_s, 1),
               "http": {k: {kk: vv for kk, vv in v.items() if kk != "raw"} for k, v in http.items()},
               "jobs": heavy, "targets": rows}
    (ROOT / "bench" / "results.json").write_text(dumps(results) + "\n")
    ref = http["healthz"]["rps"]
    lines = ["# Benchmarks", "",
             f"Measured by `make bench` on {results['when']} ({results['machine']}, {results['cpus']} CPUs), "
             "SQLite, district scale (20 townships, 400 villages, 20,000 households, ~200,000 visits), "
             f"gunicorn with 2 sync workers, wrk with 2 threads and 16 connections for {SECONDS} s per endpoint.",
             "Throughput is compared with `/healthz` in the same run because the machine is noisy.", "",
             "| endpoint | req/s | × /healthz | p50 ms | p99 ms | non-2xx |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in http.items():
        lines.append(f"| {name} | {r['rps']:.0f} | {r['rps'] / ref:.2f} | {r['p50_ms']} | {r['p99_ms']} | {r['non_2xx']} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {r['target']} | {r['value']} | {'yes' if r['met'] else '**no**'} |" for r in rows]
    lines += ["", "Raw figures: `bench/results.json`.", ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))


def main() -> int:
    print("Building district data ...")
    url, demo_s = build_district()
    print(f"  district demo generated in {demo_s:.1f} s")
    print("HTTP load (gunicorn, 2 workers) ...")
    http = http_round(url)
    print("Heavy jobs ...")
    heavy = jobs.run_all(url, OUT)
    rows = verdicts(http, heavy, demo_s)
    write_report(http, heavy, demo_s, rows)
    print()
    for r in rows:
        print(f"  [{'met' if r['met'] else 'NOT MET'}] {r['target']}: {r['value']}")
    print(f"\nWrote bench/results.json and docs/benchmarks.md")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
