"""SQLite: a writer waits for another process's write lock and then writes (no "database is locked")."""
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from relief.database import writing
from relief.extensions import db
from relief.models import Township


def test_a_writer_waits_for_the_lock_held_elsewhere_and_then_writes(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL has row locks, not one write lock")
    db.session.commit()
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing
    holder.execute("INSERT INTO township (name) VALUES ('先写的镇')")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    began = time.monotonic()
    with writing():
        db.session.add(Township(name="后写的镇"))
        db.session.commit()
    waited = time.monotonic() - began
    release.join()
    holder.close()
    names = set(db.session.scalars(sa.select(Township.name)))
    assert {"先写的镇", "后写的镇"} <= names
    assert 0.25 <= waited < 2  # waited for the other's commit, and not much longer
