"""Faults: an import killed with SIGKILL while it inserts, and a failure at each write of a visit.

Neither may leave part of a record behind, and the same work done again afterwards succeeds.
"""
import base64
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import AuditEvent, Demand, DemandStatus, Household, HouseholdIncome, Visit, VisitPhoto
from relief.visits import photos as photo_rules

from .factories import valid_id
from .sheets import HOUSEHOLDS, count, csv_bytes
from .visit_support import bearer, body, jpeg, paired

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")
#: enough rows that checking them takes seconds and inserting them more than a second
ROWS = 40_000


def _roster(path: Path, rows: int) -> None:
    """A households roster of `rows` distinct households in 东镇甲村 (unique ID numbers)."""
    lines = [HOUSEHOLDS]
    for n in range(rows):
        id_number = valid_id(n % 1000, born=date(1940, 1, 1) + timedelta(days=n // 1000))
        lines.append(["东镇", "甲村", f"户主{n}", id_number, f"138{n:08d}", 3, "因病", "贫困", None, 5000 + n % 997])
    path.write_bytes(csv_bytes(lines))


def _inserting(url: str, wal: Path | None, probe) -> bool:
    """Whether the import has begun writing household rows in its (uncommitted) transaction.

    PostgreSQL: its backend holds the row-exclusive lock an INSERT takes on the household table.
    SQLite: the insert's pages have spilled from the page cache into the write-ahead log.
    """
    if wal is not None:
        return wal.exists() and wal.stat().st_size > 512 * 1024
    with probe.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'household' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()")).scalar())


@pytest.mark.slow
def test_an_import_killed_with_sigkill_while_it_inserts_leaves_no_rows(app, places, tmp_path):  # noqa: F811
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    path = tmp_path / "帮扶户.csv"
    _roster(path, ROWS)
    wal = None
    probe = None
    if url.startswith("sqlite"):
        with db.engine.connect() as conn:  # start from an empty log, so that growth is the import's
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
    else:
        probe = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    db.session.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(RELIEF_DATABASE_URL=url, RELIEF_SECRET_KEY="fault-test")
    proc = subprocess.Popen([str(FLASK), "--app", "wsgi", "relief", "import", "households", str(path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        began = time.monotonic()
        while not _inserting(url, wal, probe):
            assert proc.poll() is None, f"the import ended before it was seen inserting: {proc.communicate()}"
            assert time.monotonic() - began < 240, "the import never began inserting"
            time.sleep(0.02)
        assert proc.poll() is None, "the import finished before the kill: use a bigger file"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if probe is not None:  # the server ends the dead client's transaction and releases its lock
        deadline = time.monotonic() + 30
        while _inserting(url, None, probe) and time.monotonic() < deadline:
            time.sleep(0.05)
        probe.dispose()
    db.session.commit()
    assert (count(Household), count(HouseholdIncome)) == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "import")) == 0
    # the database is whole and unlocked: the next import runs and stores its rows
    small = tmp_path / "三户.csv"
    _roster(small, 3)
    again = subprocess.run([str(FLASK), "--app", "wsgi", "relief", "import", "households", str(small)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    db.session.commit()
    assert (count(Household), count(HouseholdIncome)) == (3, 3)


# --- a failure injected at the N-th write of a visit --------------------------------------------

def _fail_at_write(n: int):
    """An engine hook that raises at the n-th INSERT/UPDATE/DELETE it sees; returns (hook, writes seen)."""
    seen = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement.split("(")[0][:40])
            if len(seen) == n:
                raise RuntimeError(f"injected failure at write {n}: {seen[-1]}")
    return hook, seen


def _visit_rows() -> tuple:
    return (count(Visit), count(VisitPhoto), count(Demand),
            db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.entity.in_(("visit", "demand")))))


def test_a_failure_at_any_write_of_a_visit_leaves_nothing_and_the_resend_succeeds(client, f):
    me = paired(f)
    settled = f.demand(me.cadre, me.household, text="屋顶漏雨")
    f.commit()
    headers = bearer(me.user)
    photo = base64.b64encode(jpeg(400, 300)).decode()
    sent = body(me.household.id, demands=[{"text": "修路"}, {"text": "低保复核"}], photos=[photo, photo],
                resolved=[{"id": settled.id, "resolution": "已修好"}])
    before = _visit_rows()
    failures = 0
    for n in range(1, 50):
        hook, seen = _fail_at_write(n)
        sa.event.listen(db.engine, "before_cursor_execute", hook)
        try:
            r = client.post("/api/v1/visits", json=sent, headers=headers)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", hook)
        if len(seen) < n:  # every write of the visit went through: this is the resend that succeeds
            break
        failures += 1
        assert r.status_code == 500 and "系统出了点问题" in r.get_json()["error"], (n, seen)
        assert _visit_rows() == before, f"write {n} ({seen[-1]}) left part of the visit behind"
        assert db.session.get(Demand, settled.id).status is DemandStatus.OPEN
    assert failures >= 5, "the visit, its photos, its demands, the settled demand and the audit are written"
    assert r.status_code == 201, r.get_json()
    stored = db.session.scalar(sa.select(Visit))
    assert stored.client_uuid == sent["client_uuid"] and len(stored.photos) == 2
    assert sorted(d.text for d in stored.demands) == ["低保复核", "修路"]
    assert db.session.get(Demand, settled.id).resolved_in_visit_id == stored.id
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 200  # and only once
    assert count(Visit) == 1


def test_a_photo_step_that_breaks_midway_stores_nothing(client, f, monkeypatch):
    me = paired(f)
    headers = bearer(me.user)
    photo = base64.b64encode(jpeg(400, 300)).decode()
    sent = body(me.household.id, demands=[{"text": "修路"}], photos=[photo, photo])
    real, calls = photo_rules.process, []

    def breaks_on_the_second(raw):
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError("the photo step failed")
        return real(raw)
    monkeypatch.setattr(photo_rules, "process", breaks_on_the_second)
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 500
    assert (count(Visit), count(VisitPhoto), count(Demand)) == (0, 0, 0)
    monkeypatch.setattr(photo_rules, "process", real)
    assert client.post("/api/v1/visits", json=sent, headers=headers).status_code == 201
    assert (count(Visit), count(VisitPhoto), count(Demand)) == (1, 2, 1)
