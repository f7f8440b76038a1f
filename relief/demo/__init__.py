"""Realistic fake data for a demo or a benchmark, written with bulk inserts.

small: the district of seed 004 (34 weak villages, each with a linked district leader and a
stationed cadre whose unit sends a team of three; about a hundred cadres paired with one or two
households); district: ~20 townships, 400 villages, 20,000 households, 4,000 cadres and about
200,000 visits; province: 100 times a district (PostgreSQL).
"""
from __future__ import annotations

import random
from datetime import date

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Role, Township, User
from relief.security import hash_password

from .district import SCALES, Scale
from .fabrications import plant_fabrications
from .generator import Generator
from .photo_fakes import plant_photo_evidence

__all__ = ["DEMO_USERS", "SCALES", "DemoError", "Scale", "generate", "is_empty"]

DEMO_USERS = ("demo-admin", "demo-leader", "demo-inspector", "demo-cadre")


class DemoError(RuntimeError):
    pass


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Township)) == 0 and \
        db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def generate(scale_name: str, seed: int, password: str, today: date, echo=print) -> dict:
    """Fill an empty database; returns {username: role} of the demo logins."""
    if not is_empty():
        raise DemoError("database is not empty")
    scale = SCALES[scale_name]
    rnd = random.Random(seed)
    gen = Generator(scale, rnd, today, echo)
    gen.run()
    plant_fabrications(rnd, today)
    plant_photo_evidence(rnd, today)
    pw = hash_password(password)
    first_township = gen.first_township_id
    users = [
        dict(id=1, username="demo-admin", password_hash=pw, role=Role.ADMIN.value),
        dict(id=2, username="demo-leader", password_hash=pw, role=Role.LEADER.value, township_id=first_township),
        dict(id=3, username="demo-inspector", password_hash=pw, role=Role.INSPECTOR.value),
        dict(id=4, username="demo-cadre", password_hash=pw, role=Role.CADRE.value, cadre_id=gen.demo_cadre_id),
    ]
    for u in users:
        u.setdefault("township_id", None)
        u.setdefault("cadre_id", None)
        u.update(active=True, must_change_password=False, created_at=gen.now)
    db.session.execute(User.__table__.insert(), users)
    _fix_sequences()
    if scale.households <= 50_000:  # a province's rules run from the command line (relief monitor-scan)
        from relief.monitoring.demo import seed as seed_monitoring

        seed_monitoring(today, echo)
    return {u["username"]: u["role"] for u in users}


def _fix_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
