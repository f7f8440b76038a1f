"""How cost grows with the size of the data: a cadre's home, the leader's dashboard after a write, a
visit sync, the roster import and the yearly export at three sizes, drawn as an SVG.

    .venv/bin/python -m bench.growth [--district-url URL] [--json]

Sizes: the small demo (260 households), the district demo (20,000) and a stand-in for ten
districts: three districts' worth (60 townships, 60,000 households, ~600,000 visits), because generating ten (200,000 households, 7 million visits) takes longer on this
2-core machine than a bench run may. The generated SQLite databases are kept in bench/out/ and
reused by later runs (delete bench/out/growth-*.db to start again); the district one is the
district database of `make bench` when --district-url names it.

Per size, each part runs in a process of its own:
  pages   in-process through the Flask test client (no server, so the figure is the app's own
          cost): medians of GET / as a cadre, POST /api/v1/visits (a new visit each), and GET
          /dashboard as a township leader right after such a write (so relief.cache never holds it)
  import  bench.import_households: as many households as the size has, from one .xlsx, into an
          empty database; its time and the process's peak memory
  export  bench.export_district's export child: the yearly workbook of the whole district
The chart (docs/growth.svg) has log-log axes: a flat cost is a horizontal line, a linear one runs
parallel to the dotted slope-1 guide.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-password-一二三"
REPEAT = 15

#: name, demo scale, households (for the x axis)
SIZES = [("small", "small", 260), ("district", "district", 20_000), ("3 districts", "bench-3-districts", 60_000)]

#: what is drawn: key, label, unit
SERIES = [("cadre_home_ms", "cadre home GET /", "ms"), ("dashboard_after_write_ms", "dashboard after a write", "ms"),
          ("visit_sync_ms", "visit sync POST /api/v1/visits", "ms"), ("import_s", "roster import", "s"),
          ("export_s", "yearly export", "s")]
MEMORY = [("import_peak_mb", "roster import"), ("export_peak_mb", "yearly export")]


def _register_scales() -> None:
    from relief.demo.district import SCALES, Scale

    SCALES.setdefault("bench-3-districts", Scale(townships=60, villages_per_township=20, weak_villages=240,
                                                 household_cadres=11_550, households=60_000,
                                                 visits_per_household=36))


def database(size: str, scale: str, district_url: str | None) -> str:
    """The size's SQLite database, generated once and kept in bench/out/."""
    if size == "district" and district_url:
        return district_url
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"growth-{scale}.db"
    done = path.with_suffix(".done")
    url = f"sqlite:///{path}"
    if done.exists() and path.exists():
        return url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_PASSWORD": PASSWORD, "RELIEF_SECRET_KEY": "bench"}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "bench.growth", "--generate", scale], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    print(f"    {size}: generated in {time.perf_counter() - began:.0f} s", flush=True)
    done.write_text(date.today().isoformat())
    return url


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "RELIEF_SECRET_KEY": "bench"}, timeout=3600)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(district_url: str | None = None) -> list[dict]:
    from bench import export_district

    results = []
    for size, scale, households in SIZES:
        print(f"  growth, {size} ({households:,} households) ...", flush=True)
        url = database(size, scale, district_url)
        row = {"size": size, "households": households, "load": round(os.getloadavg()[0], 1),
               **_child("bench.growth", "--pages", url)}
        imported = _child("bench.growth", "--import", str(households))
        row.update(import_s=imported["first_s"], import_peak_mb=imported["peak_mb"])
        folder = OUT / "growth-export"
        folder.mkdir(parents=True, exist_ok=True)
        exported = export_district._child("export", url, date.today().year, folder / "export.xlsx")
        row.update(export_s=exported["seconds"], export_peak_mb=exported["peak_mb"],
                   export_rows=sum(exported["rows"].values()))
        print("    " + ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("size", "households")), flush=True)
        results.append(row)
    return results


# -- the children ---------------------------------------------------------------------------------

def generate_child(scale: str) -> None:
    from relief import create_app, demo
    from relief.database import writing
    from relief.dates import today
    from relief.extensions import db

    _register_scales()
    app = create_app({"DATABASE_URL": os.environ["RELIEF_DATABASE_URL"], "SECRET_KEY": "bench"})
    with app.app_context(), writing():
        demo.generate(scale, 4, PASSWORD, today(), echo=lambda *a, **k: None)
        db.session.commit()
    print("{}")


def _median_ms(call, n: int = REPEAT) -> float:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def pages_child(url: str) -> None:
    from relief import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    cadre, leader = app.test_client(), app.test_client()
    for client, name in ((cadre, "demo-cadre"), (leader, "demo-leader")):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)})
        assert r.status_code == 302, (name, r.status_code)
    api = {"Authorization": "Bearer " + app.test_client().post(
        "/api/v1/token", json={"username": "demo-cadre", "password": PASSWORD}).json["token"]}
    households = [h["id"] for h in cadre.get("/api/v1/me/households", headers=api).json]
    counter = iter(range(10**6))

    def home():
        assert cadre.get("/").status_code == 200

    def sync():
        n = next(counter)
        r = cadre.post("/api/v1/visits", headers=api, json={
            "client_uuid": str(uuid.uuid4()), "household_id": households[n % len(households)],
            "visited_on": date.today().isoformat(), "kind": "routine", "notes": f"增长测试走访 {n}"})
        assert r.status_code == 201, r.status_code

    def dashboard():
        assert leader.get("/dashboard").status_code == 200

    home(), dashboard()  # templates compiled, connections open
    out = {"cadre_home_ms": _median_ms(home), "visit_sync_ms": _median_ms(sync)}
    after = []
    for _ in range(REPEAT):
        sync()
        began = time.perf_counter()
        dashboard()
        after.append((time.perf_counter() - began) * 1000)
    out["dashboard_after_write_ms"] = round(statistics.median(after), 1)
    print(json.dumps(out))


def import_child(households: int) -> None:
    from bench import import_households

    out = import_households.measure(households)
    out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False))


# -- the chart ------------------------------------------------------------------------------------

def svg(results: list[dict]) -> str:
    """Small multiples on log-log axes, one panel per measured cost, a dotted slope-1 guide in each."""
    import math

    panels = [(k, label, unit) for k, label, unit in SERIES] + [(k, f"peak memory: {label}", "MB") for k, label in MEMORY]
    w, h, cols, pad = 300, 200, 4, 46
    rows = math.ceil(len(panels) / cols)
    xs = [r["households"] for r in results]
    lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * cols}" height="{h * rows + 30}" '
              'font-family="sans-serif" font-size="11" role="img" aria-label="How cost grows with the data">'),
             ('<text x="8" y="18" font-size="13">How cost grows: time (or memory) against households, log-log; '
              'dotted: proportional to size, through the district point</text>')]
    for i, (key, label, unit) in enumerate(panels):
        ox, oy = (i % cols) * w, (i // cols) * h + 30
        ys = [r[key] for r in results]
        district = ys[[r["size"] for r in results].index("district")] if "district" in [r["size"] for r in results] else ys[0]
        guide = [district * x / results[1]["households"] for x in xs] if len(results) > 1 else ys
        lo, hi = math.log10(min(ys + guide) * 0.8), math.log10(max(ys + guide) * 1.25)

        def px(x, ox=ox):
            return ox + pad + (math.log10(x) - lx0) / ((lx1 - lx0) or 1) * (w - pad - 16)

        def py(y, oy=oy, lo=lo, hi=hi):
            return oy + h - 34 - (math.log10(y) - lo) / ((hi - lo) or 1) * (h - 64)

        parts.append(f'<text x="{ox + pad}" y="{oy + 14}" font-weight="bold">{label}</text>')
        parts.append(f'<line x1="{ox + pad}" y1="{oy + h - 34}" x2="{ox + w - 16}" y2="{oy + h - 34}" stroke="#888"/>')
        parts.append(f'<line x1="{ox + pad}" y1="{oy + 22}" x2="{ox + pad}" y2="{oy + h - 34}" stroke="#888"/>')
        for x in xs:
            parts.append(f'<text x="{px(x):.1f}" y="{oy + h - 20}" text-anchor="middle">{x:,}</text>')
        parts.append('<polyline fill="none" stroke="#999" stroke-dasharray="2,3" points="'
                     + " ".join(f"{px(x):.1f},{py(g):.1f}" for x, g in zip(xs, guide)) + '"/>')
        parts.append('<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="'
                     + " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys)) + '"/>')
        for j, (x, y) in enumerate(zip(xs, ys)):
            # the first label right of its point; the others left of it, the last below, so they stay apart
            dx, dy, anchor = (5, -6, "") if j == 0 else (-5, 15 if j == len(xs) - 1 else -6, ' text-anchor="end"')
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#1f5fa8"/>'
                         f'<text x="{px(x) + dx:.1f}" y="{py(y) + dy:.1f}"{anchor}>{y:g} {unit}</text>')
        parts.append(f'<text x="{ox + w / 2:.0f}" y="{oy + h - 6}" text-anchor="middle" fill="#555">households</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--district-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.district_url)
    (ROOT / "docs" / "growth.svg").write_text(svg(results))
    print(json.dumps(results, ensure_ascii=False) if args.json else "wrote docs/growth.svg")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        generate_child(sys.argv[2])
    elif sys.argv[1:2] == ["--pages"]:
        pages_child(sys.argv[2])
    elif sys.argv[1:2] == ["--import"]:
        import_child(int(sys.argv[2]))
    else:
        main()
