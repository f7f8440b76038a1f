"""The `demo` fixture: the small demo (seed 4) in the test's database, generated once per database
per process and copied back in for the tests after the first."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db

from .conftest import PASSWORD


@pytest.fixture(scope="session")
def demo_rows():
    """The rows of the small demo, once generated, per (database, day): {table: [row, ...]}."""
    return {}


@pytest.fixture
def demo(app, demo_rows):
    """The small demo (seed 4) generated today; the time just after it was written (naive UTC).

    Generated once per database per process (photos drawn and hashed, the monitoring rules run:
    seconds of CPU); the tests after the first get the same rows copied back in."""
    from relief.demo import generate
    from relief.models import utcnow

    key = (db.engine.dialect.name, today())
    if key not in demo_rows:
        generate("small", 4, PASSWORD, today(), echo=lambda *_: None)
        db.session.commit()
        demo_rows[key] = {t: [dict(r._mapping) for r in db.session.execute(sa.select(t))]
                          for t in db.metadata.sorted_tables}
    else:
        _put_back(demo_rows[key])
    return utcnow()


def _put_back(rows: dict) -> None:
    """Insert rows read earlier into the empty tables, data_version last and as it was (the
    inserts raise its counters), and move PostgreSQL's id sequences past them."""
    version = next(t for t in rows if t.name == "data_version")
    for table, values in rows.items():
        if values and table is not version:
            db.session.execute(table.insert(), values)
    db.session.execute(version.delete())
    if rows[version]:
        db.session.execute(version.insert(), rows[version])
    if db.engine.dialect.name == "postgresql":
        for table in rows:
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer) and rows[table]:
                db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                           f"(SELECT MAX(id) FROM {table.name}) + 1, false)"))
    db.session.commit()
