"""`relief backup` makes a consistent copy; the documented restore gives back the same rows."""
import sqlite3
import subprocess
import threading
import uuid

import sqlalchemy as sa

from relief.backup import libpq_url, pg_tool, row_counts
from relief.extensions import db


def _fill(f, n=30):
    v = f.village()
    c = f.cadre()
    for i in range(n):
        h = f.household(v)
        f.visit(c, h)
    f.commit()


def test_backup_and_restore_keep_every_row(app, runner, f, tmp_path):
    _fill(f)
    before = row_counts(db.engine)
    out = tmp_path / "copy.bak"
    result = runner.invoke(args=["relief", "backup", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "30 households" in result.output
    if db.engine.dialect.name == "sqlite":
        # restore = check the copy, then put it in place of instance/relief.db
        with sqlite3.connect(out) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        restored = f"sqlite:///{out}"
        assert row_counts(restored) == before
    else:
        name = f"relief_restore_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        target = db.engine.url.set(database=name)
        try:
            done = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--dbname", libpq_url(target), str(out)],
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            engine = sa.create_engine(target)
            assert row_counts(engine) == before
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def test_backup_while_another_connection_writes(app, runner, f, tmp_path):
    """The copy is consistent (integrity ok, counts match a committed state) under concurrent writes."""
    _fill(f, 5)
    if db.engine.dialect.name != "sqlite":
        return  # pg_dump's snapshot is consistent by construction
    path = db.engine.url.database
    stop = threading.Event()

    def writer():
        conn = sqlite3.connect(path, timeout=30)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO unit (name) VALUES (?)", (uuid.uuid4().hex,))
            conn.execute("COMMIT")
        conn.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        out = tmp_path / "live.bak"
        assert runner.invoke(args=["relief", "backup", "-o", str(out)]).exit_code == 0
    finally:
        stop.set()
        t.join()
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM household").fetchone()[0] == 5
