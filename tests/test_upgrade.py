"""An office's database from the first release upgrades to this one without losing a row.

The fixture (tests/data/release1-small.db.gz, see tests/data/README.md) was made by the first
release's `relief demo` and a few weeks' use. On PostgreSQL the same rows are copied into a
database migrated to the first release's schema, then the whole chain of migrations runs.
"""
import gzip
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "release1-small.db.gz"
RELEASE1_HEAD = "0003_data_version"
PG_URL = os.environ.get("RELIEF_TEST_DATABASE_URL")
pytestmark = pytest.mark.slow


def _flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update({"RELIEF_DATABASE_URL": url, "RELIEF_SECRET_KEY": "x"})
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _counts(engine) -> dict[str, int]:
    names = sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one()
                for n in names if n != "alembic_version"}


def _release1_sqlite(tmp_path) -> Path:
    path = tmp_path / "release1.db"
    with gzip.open(FIXTURE) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _assert_nothing_lost(before: dict[str, int], url: str) -> None:
    engine = sa.create_engine(url)
    after = _counts(engine)
    engine.dispose()
    lost = {name: (n, after.get(name)) for name, n in before.items() if after.get(name, -1) < n}
    assert not lost, f"rows lost in the upgrade (before, after): {lost}"


def _pages_work(url: str) -> None:
    """The upgraded database serves the pages an office opens first, as the first release's users."""
    from relief import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "TILE_URL": "none"})
    client = app.test_client()
    for user, pages in (("demo-admin", ("/", "/dashboard", "/map", "/households/", "/flags/", "/audit/",
                                        "/monitoring/", "/monitoring/lines")),
                        ("demo-cadre", ("/", "/demands/", "/offline", "/monitoring/"))):
        response = client.post("/login", data={"username": user, "password": "demo password 1"})
        assert response.status_code == 302, (user, response.status_code)
        for page in pages:
            assert client.get(page).status_code == 200, (user, page)
        client.post("/logout")
    with app.app_context():
        from relief.extensions import db

        db.engine.dispose()


def test_a_release1_sqlite_database_upgrades_without_losing_a_row(tmp_path):
    path = _release1_sqlite(tmp_path)
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    before = _counts(engine)
    engine.dispose()
    assert before["visit"] > 2000 and before["visit_photo"] > 0
    done = _flask(url, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    _assert_nothing_lost(before, url)
    _pages_work(url)
    _photos_get_their_hashes(url, before["visit_photo"])


def _photos_get_their_hashes(url: str, photos: int) -> None:
    """The first release kept no photo evidence: `relief photo-hashes` computes it from the pixels."""
    done = _flask(url, "relief", "photo-hashes")
    assert done.returncode == 0, done.stderr
    assert f"Hashed {photos} photos" in done.stdout
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM visit_photo WHERE phash IS NULL")).scalar() == 0
    engine.dispose()
    again = _flask(url, "relief", "photo-hashes")
    assert "Hashed 0 photos" in again.stdout


@pytest.mark.skipif(not PG_URL, reason="RELIEF_TEST_DATABASE_URL is not set")
def test_a_release1_postgresql_database_upgrades_without_losing_a_row(tmp_path):
    name = f"relief_up_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        done = _flask(url, "db", "upgrade", RELEASE1_HEAD)
        assert done.returncode == 0, done.stderr
        source = sa.create_engine(f"sqlite:///{_release1_sqlite(tmp_path)}")
        before = _copy_rows(source, sa.create_engine(url))
        source.dispose()
        done = _flask(url, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        _assert_nothing_lost(before, url)
        _pages_work(url)
        _photos_get_their_hashes(url, before["visit_photo"])
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _copy_rows(source, target) -> dict[str, int]:
    """Copy every row of the release-1 SQLite database into the release-1 schema on PostgreSQL."""
    meta = sa.MetaData()
    meta.reflect(target)
    src_meta = sa.MetaData()
    src_meta.reflect(source)
    counts = {}
    with source.connect() as src, target.begin() as dst:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in src.execute(sa.select(src_meta.tables[table.name]))]
            if rows:
                dst.execute(table.insert(), rows)
            counts[table.name] = len(rows)
            if "id" in table.c and rows and isinstance(table.c.id.type, sa.Integer):
                dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                    f"(SELECT max(id) FROM \"{table.name}\"))")
    target.dispose()
    return counts
