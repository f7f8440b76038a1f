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
medians of --repeat (the sample is built in a child process, so the measuring one starts clean):
  app_ms     the whole request through the app with nothing kept between requests
             (CACHE_SECONDS=-1: every figure is computed), in this process
  sql_ms     the same SQL statements with the same parameters, run directly with psycopg
             (execute and fetch every row), in the same order, in turns with app_ms
  cached_ms  the request once relief.cache holds the page (what users mostly get)

Under writes (--under-writes SECONDS, default 60; 0 skips it): gunicorn serves relief (2 sync
workers) to two readers that request the whole province's dashboard (the admin) and one
township's (its leader) back to back, timing each answer (p50 and p95 of each), while a writer
posts --rate visits a second (default 20) through POST /api/v1/visits of a second gunicorn (2
sync workers) on the same database, each by the cadre of a random township (one writer login per
township, for a household the cadre is paired with): the writes made and refused are counted. The readers start once each worker has computed every
township's figures (the first read after a start); from then on a read computes again only the
parts of the townships written to since the last one that the write could change
(relief.dashboard.services.township_rows); the flag counts are kept across writes while counting
them is slow (relief.flags.services.kept_reason_counts), so FLAG_COUNTS_MAX_AGE (300 s) is longer
than a 60 s run: their background recount is not inside it unless RELIEF_FLAG_COUNTS_MAX_AGE says so.
A read after visits only takes them into the kept parts (relief.cache.townships) instead of
counting their townships again. The machine's load average (1 min) is sampled every 10 s of the
run and reported as its range: the bench shares the machine with whatever else runs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from concurrent.futures import ThreadPoolExecutor
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
            # a sample built by an earlier release: what later migrations add (0009's township_delta)
            db.session.remove()
            db.create_all()
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


def _build_in_child(url: str, fresh: bool) -> float | None:
    """build() in a process of its own: the millions of objects generating the sample leaves in a
    process's heap made every later request there slower (the cold dashboard 1.67x its SQL in the
    run that built the sample, 1.18x in the next one that reused it)."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "bench.province", "--database-url", url, "--build-only",
                           *(["--fresh"] if fresh else [])], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["generated_s"]


def counts(url: str) -> dict:
    """What the sample holds, as counted in the database."""
    from relief.extensions import db
    from relief.models import Household, Township, Village, Visit

    with _app(url).app_context():
        count = lambda model, *where: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # noqa: E731
        return {"townships": count(Township), "weak_villages": count(Village, Village.is_weak),
                "households": count(Household), "visits": count(Visit)}


def _ms(fn) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def _median_ms(fn, repeat: int) -> float:
    return statistics.median(_ms(fn) for _ in range(repeat))


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

        def run_sql():
            with raw.cursor() as cur:
                for statement, parameters in sql:
                    cur.execute(statement, parameters or None)
                    if cur.description is not None:
                        cur.fetchall()
            raw.rollback()

        request()  # warm both: plans, buffers, templates (and the first read computes what later ones keep)
        request()
        sql = list(statements)
        run_sql()
        # taken in turns, so that both see the machine and the database in the same state
        turns = [(_ms(request), _ms(run_sql)) for _ in range(repeat)]
        app_ms, sql_ms = (statistics.median(times) for times in zip(*turns))
        cached = _app(url).test_client()
        assert cached.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        cached.get(path)
        cached_ms = _median_ms(lambda: cached.get(path), repeat)
        out[label] = {"path": path, "judged": judged, "app_ms": round(app_ms, 1), "sql_ms": round(sql_ms, 1),
                      "ratio": round(app_ms / sql_ms, 2), "statements": len(sql), "cached_ms": round(cached_ms, 1)}
    raw.close()
    return out


def _writers(url: str) -> list[tuple[str, list[int]]]:
    """One cadre login per township (created once, kept in the bench's database): (username, the
    ids of households the cadre is actively paired with)."""
    from relief.extensions import db
    from relief.models import Pairing, PairingKind, Role, User
    from relief.security import hash_password

    with _app(url).app_context():
        active = (sa.select(Pairing.township_id, Pairing.cadre_id, Pairing.household_id)
                  .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None),
                         Pairing.cadre_id.not_in(sa.select(User.cadre_id).where(  # one login per cadre
                             User.cadre_id.is_not(None), User.username.not_like("bench-writer-%"))))
                  .order_by(Pairing.township_id, Pairing.cadre_id))
        chosen: dict[int, tuple[int, list[int]]] = {}
        used: set[int] = set()
        for township, cadre, household in db.session.execute(active):
            if township not in chosen and cadre not in used:
                chosen[township] = (cadre, [])
                used.add(cadre)
            if township in chosen and chosen[township][0] == cadre:
                chosen[township][1].append(household)
        password = None
        for township, (cadre, _households) in chosen.items():
            name = f"bench-writer-{township}"
            if db.session.scalar(sa.select(User.id).where(User.username == name)) is None:
                password = password or hash_password(PASSWORD)
                db.session.add(User(username=name, role=Role.CADRE, cadre_id=cadre, password_hash=password))
        db.session.commit()
        return [(f"bench-writer-{t}", households) for t, (_c, households) in chosen.items()]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)


@contextmanager
def _redis_server():
    """A throwaway redis-server on a free port (None when it is not installed)."""
    import shutil
    import subprocess
    import tempfile

    from bench.load import free_port

    server = shutil.which("redis-server")
    if server is None:
        yield None
        return
    port = free_port()
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def under_writes(url: str, seconds: float, rate: float, shared: bool = True) -> dict:
    """The dashboards' p50/p95 (ms) while visits are posted at `rate` a second into random townships;
    with `shared`, the app servers keep figures in Redis too (RELIEF_REDIS_URL), as a province's do."""
    with _redis_server() if shared else nullcontext() as redis_url:
        result = _under_writes(url, seconds, rate, {"RELIEF_REDIS_URL": redis_url} if redis_url else {})
    return {**result, "redis": bool(redis_url)}


def _under_writes(url: str, seconds: float, rate: float, env: dict) -> dict:
    import requests

    from bench.load import api_token, gunicorn, session_cookie

    writers = _writers(url)
    # the writes have app servers of their own, as a province's several gunicorn hosts would: on
    # the readers' two sync workers a read would wait behind the writes queued before it
    # a worker's first read of the province computes every township (tens of seconds on a busy
    # machine): longer than gunicorn's default 30 s worker timeout
    with gunicorn(url, workers=2, extra_env={"GUNICORN_CMD_ARGS": "--timeout 300", **env}) as base, \
            gunicorn(url, workers=2, extra_env=env) as write_base:
        tokens = {name: api_token(write_base, name, PASSWORD) for name, _h in writers}
        readers = {"dashboard, the whole province (admin)": session_cookie(base, "demo-admin", PASSWORD),
                   "dashboard, one township (leader)": session_cookie(base, "demo-leader", PASSWORD)}
        began = time.perf_counter()
        for cookie in readers.values():  # each worker computes every township once (or its own, a leader)
            with ThreadPoolExecutor(2) as pool:
                for _ in range(2):
                    list(pool.map(lambda _: requests.get(base + "/dashboard", headers={"Cookie": cookie}, timeout=600),
                                  range(2)))
        warm_s = time.perf_counter() - began
        stop = threading.Event()
        times: dict[str, list[float]] = {label: [] for label in readers}
        writes = {"made": 0, "refused": 0, "ms": []}
        rng = random.Random(17)
        day = date.today().isoformat()

        def write():
            name, households = rng.choice(writers)
            body = {"client_uuid": str(uuid.uuid4()), "household_id": rng.choice(households), "visited_on": day,
                    "kind": "routine", "notes": f"压力测试：写入时的看板 {uuid.uuid4().hex[:8]}"}
            t0 = time.perf_counter()
            r = requests.post(write_base + "/api/v1/visits", json=body, timeout=60,
                              headers={"Authorization": f"Bearer {tokens[name]}"})
            writes["ms"].append((time.perf_counter() - t0) * 1000)
            writes["made" if r.status_code == 201 else "refused"] += 1

        def writer():
            with ThreadPoolExecutor(8) as pool:
                tick = time.perf_counter()
                while not stop.is_set():
                    pool.submit(write)
                    tick += 1 / rate
                    time.sleep(max(0.0, tick - time.perf_counter()))

        def reader(label, cookie):
            session = requests.Session()
            while not stop.is_set():
                t0 = time.perf_counter()
                r = session.get(base + "/dashboard", headers={"Cookie": cookie}, timeout=60)
                assert r.status_code == 200, (label, r.status_code)
                times[label].append((time.perf_counter() - t0) * 1000)

        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=item)
                                                       for item in readers.items()]
        for t in threads:
            t.start()
        load = [os.getloadavg()[0]]  # the machine's 1-minute load, every 10 s (other work included)
        ends = time.perf_counter() + seconds
        while time.perf_counter() < ends:
            time.sleep(max(0.0, min(10.0, ends - time.perf_counter())))
            load.append(os.getloadavg()[0])
        stop.set()
        for t in threads:
            t.join()
    out = {"seconds": seconds, "rate": rate, "warm_s": round(warm_s, 1), "writes": writes["made"],
           "writes_refused": writes["refused"], "writes_per_s": round(writes["made"] / seconds, 1),
           "write_p50_ms": _percentile(writes["ms"], 0.5), "write_p95_ms": _percentile(writes["ms"], 0.95),
           "load": [round(min(load), 1), round(max(load), 1)]}
    for label, values in times.items():
        out[label] = {"reads": len(values), "p50_ms": _percentile(values, 0.5), "p95_ms": _percentile(values, 0.95)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fresh", action="store_true", help="rebuild the sample even if it is there")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--under-writes", type=float, default=60, metavar="SECONDS",
                        help="how long the dashboards are read while visits are written (0: not measured)")
    parser.add_argument("--rate", type=float, default=20, help="visits posted a second under writes")
    parser.add_argument("--redis", action=argparse.BooleanOptionalAction, default=True,
                        help="under writes, the app servers share figures through a redis-server of the bench's own")
    parser.add_argument("--build-only", action="store_true", help="only fill the database (what the bench runs in a child)")
    parser.add_argument("--skip-pages", action="store_true", help="only the measurement under writes")
    args = parser.parse_args()
    if args.build_only:
        built = build(args.database_url, args.fresh)
        print(json.dumps({"generated_s": built}))
        return
    built = _build_in_child(args.database_url, args.fresh)
    pages = {} if args.skip_pages else measure(args.database_url, args.repeat)
    writing = under_writes(args.database_url, args.under_writes, args.rate, args.redis) if args.under_writes else None
    result = {"sample": SAMPLE, "counts": counts(args.database_url),
              "generated_s": None if built is None else round(built, 1), "pages": pages, "under_writes": writing}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"province sample {SAMPLE}: " + ("reused" if built is None else f"generated in {built:.0f} s"))
    for label, r in pages.items():
        print(f"  {label:38} app {r['app_ms']:8.1f} ms   its SQL {r['sql_ms']:8.1f} ms   ratio {r['ratio']:.2f}   "
              f"({r['statements']} statements)   kept {r['cached_ms']:.1f} ms")
    if writing:
        print(f"under writes: {writing['writes_per_s']} visits/s posted for {writing['seconds']:.0f} s "
              f"({writing['writes_refused']} refused; a write p50 {writing['write_p50_ms']} ms, "
              f"p95 {writing['write_p95_ms']} ms; workers warmed in {writing['warm_s']} s; "
              f"load average {writing['load'][0]}–{writing['load'][1]})")
        for label, r in writing.items():
            if isinstance(r, dict):
                print(f"  {label:38} p50 {r['p50_ms']} ms   p95 {r['p95_ms']} ms   ({r['reads']} reads)")


if __name__ == "__main__":
    main()
