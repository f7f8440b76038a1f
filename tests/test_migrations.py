"""`flask --app wsgi db upgrade` builds the schema the models describe, on SQLite and PostgreSQL."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from relief.extensions import Base

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("RELIEF_TEST_DATABASE_URL")


def _upgrade(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RELIEF_DATABASE_URL": url, "RELIEF_SECRET_KEY": "x"}
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _differences(url: str) -> list:
    import relief.models  # noqa: F401  (registers every table)

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return diff


def test_upgrade_builds_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = _upgrade(url)
    assert done.returncode == 0, done.stderr
    assert _differences(url) == []


@pytest.mark.skipif(not PG_URL, reason="RELIEF_TEST_DATABASE_URL is not set")
def test_upgrade_builds_the_models_on_postgresql():
    name = f"relief_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        done = _upgrade(url)
        assert done.returncode == 0, done.stderr
        assert _differences(url) == []
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
