"""Province data on PostgreSQL: the dashboard and the progress API against their own SQL.

    .venv/bin/python -m bench.province --database-url postgresql+psycopg://…/relief_bench [--fresh] [--json]

The database is for the bench alone: it is emptied and filled with a province sample unless it
already holds one (--fresh rebuilds it). A full province (100 districts: 2,000 townships, 40,000
villages of which 8,000 weak, 2,000,000 households, ~21 million visits) takes hours to generate
on one machine, so the sample keeps what the pages read at a province's size where that is cheap
and takes a tenth of the rest: 8,000 weak villages (the progress API and the map read only
those; here 200 townships of 40 villages, all weak), 200,000 households, 38,500 household cadres
and ~2.2 million visits (ten districts' worth). Every query the pages run is a GROUP BY or an
index lookup over those tables, so the ratio of a page's time to the time of its own SQL, which
is the target, does not grow with the number of districts.

For each page and viewer (the province admin; one township's leader, for information), as
medians of --repeat:
  app_ms     the whole request through the app with nothing kept between requests
             (CACHE_SECONDS=-1: every figure is computed), in this process
  sql_ms     the same SQL statements with the same parameters, run directly with psycopg
             (execute and fetch every row), in the same order
  cached_ms  the request once relief.cache holds the page (what users mostly get)
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa

SAMPLE = dict(townships=200, villages_per_township=40, weak_villages=8_000, household_cadres=38_500,
              households=200_000, visits_per_household=36)
PASSWORD = "bench-password-一二三"
#: (label, user, path, judged): the targets are the province-wide views; a township leader's
#: dashboard reads one township (district-sized data, judged by the district targets) and is
#: measured for information
PAGES = [("dashboard, the whole province (admin)", "demo-admin", "/dashboard", True),
         ("progress, the whole province (admin)", "demo-admin", "/api/v1/villages/progress", True),
         ("dashboard, one township (leader)", "demo-leader", "/dashboard", False)]


def _app(url: str, **extra):
    from relief import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                       "LOGIN_LIMIT_PER_USER": "100000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
                       **extra})


def build(url: str, fresh: bool) -> float | None:
    """Fill the database with the sample unless it holds it already; seconds taken, or None."""
    from relief import demo
    from relief.database import writing
    from relief.extensions import db
    from relief.models import Township

    app = _app(url)
    with app.app_context():
        if not fresh and sa.inspect(db.engine).has_table("data_version") and not demo.is_empty() and \
                db.session.scalar(sa.select(sa.func.count()).select_from(Township)) == SAMPLE["townships"]:
            return None
        db.session.remove()
        db.drop_all()
        db.create_all()
        demo.SCALES["province-sample"] = demo.Scale(**SAMPLE)
        began = time.perf_counter()
        with writing():
            demo.generate("province-sample", 1, PASSWORD, date.today(), echo=lambda text: print(text, file=sys.stderr))
            db.session.commit()
        seconds = time.perf_counter() - began
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return seconds


def counts(url: str) -> dict:
    """What the sample holds, as counted in the database."""
    from relief.extensions import db
    from relief.models import Household, Township, Village, Visit

    with _app(url).app_context():
        count = lambda model, *where: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
        return {"townships": count(Township), "weak_villages": count(Village, Village.is_weak),
                "households": count(Household), "visits": count(Visit)}


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(url: str, repeat: int) -> dict:
    """app_ms, sql_ms, ratio and cached_ms of every page in PAGES."""
    import psycopg
    from sqlalchemy import event

    from relief.extensions import db

    raw = psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    out = {}
    for label, user, path, judged in PAGES:
        uncached = _app(url, CACHE_SECONDS=-1)
        client = uncached.test_client()
        assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        statements: list[tuple[str, object]] = []
        with uncached.app_context():
            def capture(_conn, _cursor, statement, parameters, _context, _many):
                statements.append((statement, parameters))
            event.listen(db.engine, "before_cursor_execute", capture)

        def request():
            statements.clear()
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        request()  # warm both: plans, buffers, templates
        app_ms = _median_ms(request, repeat)
        sql = list(statements)

        def run_sql():
            with raw.cursor() as cur:
                for statement, parameters in sql:
                    cur.execute(statement, parameters or None)
                    if cur.description is not None:
                        cur.fetchall()
            raw.rollback()

        run_sql()
        sql_ms = _median_ms(run_sql, repeat)
        cached = _app(url).test_client()
        assert cached.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        cached.get(path)
        cached_ms = _median_ms(lambda: cached.get(path), repeat)
        out[label] = {"path": path, "judged": judged, "app_ms": round(app_ms, 1), "sql_ms": round(sql_ms, 1),
                      "ratio": round(app_ms / sql_ms, 2), "statements": len(sql), "cached_ms": round(cached_ms, 1)}
    raw.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fresh", action="store_true", help="rebuild the sample even if it is there")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    built = build(args.database_url, args.fresh)
    pages = measure(args.database_url, args.repeat)
    result = {"sample": SAMPLE, "counts": counts(args.database_url),
              "generated_s": None if built is None else round(built, 1), "pages": pages}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"province sample {SAMPLE}: " + ("reused" if built is None else f"generated in {built:.0f} s"))
    for label, r in pages.items():
        print(f"  {label:38} app {r['app_ms']:8.1f} ms   its SQL {r['sql_ms']:8.1f} ms   ratio {r['ratio']:.2f}   "
              f"({r['statements']} statements)   kept {r['cached_ms']:.1f} ms")


if __name__ == "__main__":
    main()
