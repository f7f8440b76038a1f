"""The reused-photo lookup at district scale: one lookup per uploaded photo among 200,000 stored.

    python -m bench.photo_lookup [--photos 200000] [--lookups 300] [--database URL] [--json]

Fills a fresh database with visits and photo rows carrying random 64-bit hashes (the pixels are
not needed: the lookup reads only the indexed bands and the hash), plants near copies of some,
then times `earlier_match` (relief/flags/photo_evidence.py) for new photos that match nothing and
for planted copies (which must be found), and the two photo flags' read for the year (every photo
with a capture time, 1 in 100 taken 41 days off, 1 in 200 noted as a reuse). The in-memory alternative it is compared with is a
NumPy scan of every stored hash per upload (xor and popcount over the whole array): the fastest
way to look without an index, and what "a scan of every photo" costs.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from relief import create_app
from relief.extensions import db
from relief.flags.photo_evidence import BAND_COLUMNS, bands, earlier_match, photo_date_mismatches, reused_photos
from relief.models import Cadre, Household, Township, Unit, Village, Visit, VisitPhoto


def _signed(bits: int) -> int:
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def fill(photos: int, per_visit: int, rng: random.Random) -> list[int]:
    """Visits with `per_visit` photos each, in bulk; returns the stored hashes."""
    conn = db.session.connection()
    conn.execute(sa.insert(Township), [{"id": 1, "name": "测试镇"}])
    conn.execute(sa.insert(Village), [{"id": 1, "township_id": 1, "name": "测试村", "is_weak": True}])
    conn.execute(sa.insert(Unit), [{"id": 1, "name": "测试单位"}])
    conn.execute(sa.insert(Cadre), [{"id": 1, "name": "干部", "unit_id": 1, "phone": "13800000001",
                                      "title": "", "rank": "general"}])
    households = max(1, photos // per_visit // 10)
    conn.execute(sa.insert(Household), [
        {"id": h + 1, "township_id": 1, "village_id": 1, "head_name": f"户主{h}", "id_number": f"ID{h:016d}",
         "members": 3, "cause": "illness", "status": "poor"} for h in range(households)])
    hashes, visit_rows, photo_rows = [], [], []
    first = date(2026, 1, 1)
    for v in range(photos // per_visit):
        visit_rows.append({"id": v + 1, "client_uuid": f"bench-{v}", "cadre_id": 1, "household_id": v % households + 1,
                           "village_id": 1, "township_id": 1, "kind": "routine",
                           "visited_on": first + timedelta(days=v % 300), "notes": "走访", "aid_yuan": 0,
                           "content_hash": "x"})
        for _ in range(per_visit):
            h = _signed(rng.getrandbits(64))
            hashes.append(h)
            n = len(hashes)
            taken = datetime.combine(visit_rows[-1]["visited_on"], datetime.min.time()) + timedelta(hours=10)
            photo_rows.append({"visit_id": v + 1, "content_type": "image/jpeg", "width": 1, "height": 1,
                               "data": b"", "phash": h, **dict(zip(BAND_COLUMNS, bands(h), strict=True)),
                               "taken_at": taken - timedelta(days=41 if n % 100 == 0 else 0),
                               "reused_photo_id": n - 7 if n % 200 == 0 else None,
                               "reused_distance": 3 if n % 200 == 0 else None})
        if len(photo_rows) >= 20_000:
            conn.execute(sa.insert(Visit), visit_rows)
            conn.execute(sa.insert(VisitPhoto), photo_rows)
            visit_rows, photo_rows = [], []
    if visit_rows:
        conn.execute(sa.insert(Visit), visit_rows)
        conn.execute(sa.insert(VisitPhoto), photo_rows)
    db.session.commit()
    return hashes


def _flip(h: int, bits: int, rng: random.Random) -> int:
    unsigned = h & ((1 << 64) - 1)
    for i in rng.sample(range(64), bits):
        unsigned ^= 1 << i
    return _signed(unsigned)


def measure(photos: int = 200_000, lookups: int = 300, database: str | None = None, seed: int = 7) -> dict:
    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory()
    url = database or f"sqlite:///{Path(tmp.name) / 'photos.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        began = time.perf_counter()
        hashes = fill(photos, 4, rng)
        filled = time.perf_counter() - began
        where = dict(household_id=10_000_000, village_id=1, visited_on=date(2026, 12, 1), visit_id=None)

        def timed(queries):
            times, found = [], 0
            for q in queries:
                t = time.perf_counter()
                found += earlier_match(q, max_distance=8, **where) is not None
                times.append(time.perf_counter() - t)
            return times, found
        timed([_signed(rng.getrandbits(64)) for _ in range(20)])  # warm the caches
        fresh, false_hits = timed([_signed(rng.getrandbits(64)) for _ in range(lookups)])
        copies, hits = timed([_flip(rng.choice(hashes), rng.randrange(0, 9), rng) for _ in range(lookups)])
        array = np.array(hashes, dtype=np.int64)
        scans = []
        for _ in range(lookups):
            q = np.int64(_signed(rng.getrandbits(64)))
            t = time.perf_counter()
            np.count_nonzero(np.bitwise_count(np.bitwise_xor(array, q)) <= 8)
            scans.append(time.perf_counter() - t)
        t = time.perf_counter()
        flagged = len(list(reused_photos(2026))) + len(list(photo_date_mismatches(2026)))
        flag_read = time.perf_counter() - t
        dialect = db.engine.dialect.name
        db.drop_all()
        db.engine.dispose()
    tmp.cleanup()

    def ms(values, q=None):
        values = sorted(values)
        return round(1000 * (statistics.median(values) if q is None else values[int(q * (len(values) - 1))]), 3)
    return {"database": dialect, "photos": photos, "fill_seconds": round(filled, 1), "lookups": lookups,
            "new_photo_ms_p50": ms(fresh), "new_photo_ms_p95": ms(fresh, 0.95), "false_matches": false_hits,
            "copy_ms_p50": ms(copies), "copy_ms_p95": ms(copies, 0.95), "copies_found": hits,
            "numpy_scan_ms_p50": ms(scans), "photo_flags_read_ms": round(1000 * flag_read, 1),
            "photo_flags_visits": flagged}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--database", help="a SQLAlchemy URL (emptied); a temporary SQLite file when left out")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.photos, args.lookups, args.database)
    print(json.dumps(result, ensure_ascii=False) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
