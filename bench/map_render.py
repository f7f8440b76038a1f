"""The progress map at province-like size: 10,000 weak villages in under 0.5 s and under 2 MB.

    .venv/bin/python -m bench.map_render [--villages 10000] [--repeat 5]

Builds a throwaway SQLite database with N weak villages (three years of income, a linked leader,
a stationed cadre and a project each), signs in as the admin and measures, as medians:
  collect  the two queries behind the map (village_progress and the incomes by year)
  render   the folium document from collected data (what the 0.5 s target is about)
  cold     a whole GET /map/frame with an empty cache (queries + render), the base map kept
  warm     the same request answered from the cache (one version query)
plus the size of the document, and once the time to build relief's own base map (outline and
township areas: done once per change of the villages, not per request). Exits 1 when the cold request or the size misses its target.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TARGET_SECONDS, TARGET_BYTES = 0.5, 2 * 1024 * 1024


def _fill(n: int, year: int) -> None:
    from relief.extensions import db
    from relief.models import Cadre, Pairing, Project, Township, Unit, User, Village, VillageIncome
    from relief.security import hash_password

    rnd, now = random.Random(4), datetime(2026, 1, 1)
    surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超"
    words = ["王庄", "李圩", "张集", "刘湾", "陈庄", "杨楼", "赵河", "黄桥", "周圩", "吴集"]
    townships = max(n // 20, 1)
    db.session.execute(sa_insert(Township), [{"id": t + 1, "name": f"第{t + 1}镇"} for t in range(townships)])
    db.session.execute(sa_insert(Unit), [{"id": 1, "name": "区扶贫办"}])
    villages, incomes, cadres, pairings, projects = [], [], [], [], []
    for i in range(1, n + 1):
        tid = (i - 1) % townships + 1
        villages.append(dict(id=i, township_id=tid, name=f"{rnd.choice(words)}{i}村", is_weak=True,
                             lat=round(30 + rnd.random() * 5, 5), lng=round(115 + rnd.random() * 5, 5),
                             target_yuan=None, created_at=now))
        for k, y in enumerate((year - 2, year - 1, year)):
            incomes.append(dict(village_id=i, year=y, income_yuan=rnd.randint(40_000, 120_000) + k * 20_000,
                                updated_at=now))
        for kind, c in (("link", 2 * i - 1), ("stationed", 2 * i)):
            cadres.append(dict(id=c, name=rnd.choice(surnames) + rnd.choice(given) + rnd.choice(given), unit_id=1,
                               title="", rank="section", phone=f"139{c:08d}", is_active=True, created_at=now))
            pairings.append(dict(kind=kind, cadre_id=c, village_id=i, township_id=tid, started_on=now.date(),
                                 role="first_secretary" if kind == "stationed" else None, created_at=now))
        projects.append(dict(village_id=i, township_id=tid, name="光伏电站", type="solar", status="operating",
                             funding_source="", funding_yuan=0, expected_income_yuan=50_000,
                             actual_income_yuan=rnd.randint(0, 50_000), households_benefited=0, people_benefited=0,
                             description="", created_at=now, updated_at=now))
    for model, rows in ((Village, villages), (VillageIncome, incomes), (Cadre, cadres), (Pairing, pairings),
                        (Project, projects)):
        db.session.execute(sa_insert(model), rows)
    db.session.execute(sa_insert(User), [dict(username="bench-admin", password_hash=hash_password("bench password 1"),
                                              role="admin", active=True, must_change_password=False, created_at=now)])
    db.session.commit()


def sa_insert(model):
    import sqlalchemy as sa

    return sa.insert(model.__table__)


def _median(fn, repeat: int) -> tuple[float, object]:
    fn()  # once untimed: the database's pages and the compiled statements are then in memory
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(villages: int = 10_000, repeat: int = 5) -> dict:
    """Medians in seconds of collect, render, cold and cached GET /map/frame, and the document's bytes."""
    from relief import create_app
    from relief.dates import today
    from relief.extensions import db
    from relief.maps import services
    from relief.models import User

    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-map-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench", "TILE_URL": "none",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "WTF_CSRF_ENABLED": False})
    app.instance_path = str(tmp / "instance")
    year = today().year
    with app.app_context():
        db.create_all()
        _fill(villages, year)
        gc.collect()
        gc.freeze()  # as wsgi.py does once the app is loaded
        admin = db.session.scalar(db.select(User))
        with app.test_request_context("/map/frame"):
            collect_s, data = _median(lambda: services.collect(admin, year, None, ("bench",)), repeat)

            # relief's own base map: built once per change of the villages, then read from the instance folder
            from relief.maps import basemap

            points = basemap._points()
            start = time.perf_counter()
            base = basemap.build(points, "")
            basemap_s = time.perf_counter() - start
            basemap.current(points)

            def render():
                data.html = None
                return services.frame_html(admin, data, None, title="bench", lang="zh-CN", village_url="/villages/",
                                           assets={})
            render_s, html = _median(render, repeat)
            base_bytes = len(json.dumps(base, ensure_ascii=False, separators=(",", ":")).encode())
    client = app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": "bench password 1"})

    def cold():
        services.cache.clear()
        return client.get("/map/frame")
    cold_s, response = _median(cold, repeat)
    warm_s, _ = _median(lambda: client.get("/map/frame"), repeat)
    size = len(html.encode())
    assert response.status_code == 200 and len(response.data) >= size * 0.9, response.status_code
    return {"villages": villages, "collect_s": round(collect_s, 4), "render_s": round(render_s, 4),
            "cold_s": round(cold_s, 4), "cached_s": round(warm_s, 4), "bytes": size,
            "basemap_build_s": round(basemap_s, 3), "basemap_bytes": base_bytes, "outline": base["district"]["source"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    out = measure(args.villages, args.repeat)
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"progress map, {args.villages:,} weak villages, median of {args.repeat} (SQLite)")
    print(f"  collect (2 queries)       {out['collect_s'] * 1000:8.1f} ms")
    print(f"  render (folium document)  {out['render_s'] * 1000:8.1f} ms")
    print(f"  GET /map/frame, cold      {out['cold_s'] * 1000:8.1f} ms   target < {TARGET_SECONDS * 1000:.0f} ms")
    print(f"  GET /map/frame, cached    {out['cached_s'] * 1000:8.1f} ms")
    print(f"  document size             {out['bytes'] / 1024 / 1024:8.2f} MB   "
          f"target < {TARGET_BYTES / 1024 / 1024:.0f} MB")
    print(f"  base map, built once      {out['basemap_build_s'] * 1000:8.1f} ms   "
          f"({out['basemap_bytes'] / 1024:.0f} KB kept, outline: {out['outline']}; per change of villages)")
    ok = out["cold_s"] < TARGET_SECONDS and out["bytes"] < TARGET_BYTES
    print("  targets met" if ok else "  TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
