"""A few made-up visit records in the demo, so the inspector's page has something to find."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Pairing, Village, Visit


def plant_fabrications(rnd: random.Random, today: date) -> None:
    """A few made-up records, so the inspector's page has something to find in the demo."""
    rows = db.session.execute(
        sa.select(Pairing.cadre_id, Pairing.household_id, Pairing.village_id, Pairing.township_id,
                  Village.lat, Village.lng)
        .join(Village, Village.id == Pairing.village_id)
        .where(Pairing.kind == "household", Pairing.ended_on.is_(None)).order_by(Pairing.id).limit(400)).all()
    if len(rows) < 60:
        return
    max_id = db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0
    made = []

    def visit(row, day, recorded, notes, lat=None, lng=None):
        made.append(dict(id=max_id + len(made) + 1, client_uuid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                         cadre_id=row[0], household_id=row[1], village_id=row[2], township_id=row[3],
                         kind="routine", visited_on=day, recorded_at=recorded, notes=notes, aid_yuan=0,
                         lat=lat, lng=lng, accuracy_m=20.0 if lat else None, content_hash=None))

    day = today - timedelta(days=40)
    # late records: a month's visits typed in at once, long after the dates they claim
    for row in rows[10:13]:
        visit(row, day, datetime(today.year, today.month, today.day) - timedelta(days=2, hours=3),
              f"{day.month}月{day.day}日入户走访，了解家庭近况。{row[1]}")
    # far from the village: the phone was in the county town
    row = rows[20]
    visit(row, day, datetime(day.year, day.month, day.day, 2), "入户走访，宣传惠民政策。",
          lat=(row[4] or 33.95) + 0.12, lng=(row[5] or 118.33) + 0.05)
    # a burst: one cadre "visits" five households in six minutes
    burst_cadre = rows[30][0]
    start = datetime(day.year, day.month, day.day, 12, 1)
    for k, row in enumerate(rows[30:35]):
        visit((burst_cadre, *row[1:]), day, start + timedelta(minutes=k * 1.5), f"走访第{k + 1}户，情况稳定。{k}")
    # copied notes across households
    for row in rows[40:43]:
        visit(row, day, datetime(day.year, day.month, day.day, 3), "询问家庭收入情况，宣传医保缴费政策，家中一切正常。")
    db.session.execute(Visit.__table__.insert(), made)
