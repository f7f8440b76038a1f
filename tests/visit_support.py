"""Helpers shared by the visit, demand, attendance and API tests."""
from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from PIL import Image

from relief.auth.services import issue_token
from relief.dates import today
from relief.extensions import db
from relief.models import Attendance, Role

from .conftest import csrf_token


def paired(f, username: str = "cad", days_ago: int = 90, village=None, name: str = "王大伯"):
    """A cadre login paired with one household since `days_ago` days."""
    cadre = f.cadre()
    household = f.household(village, name=name)
    pairing = f.pairing(cadre, household, started_on=today() - timedelta(days=days_ago))
    user = f.user(username, Role.CADRE, cadre=cadre)
    f.commit()
    return SimpleNamespace(user=user, cadre=cadre, household=household, village=household.village, pairing=pairing)


def bearer(user) -> dict:
    token = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def body(household_id: int | None = None, **over) -> dict:
    data = {"client_uuid": str(uuid.uuid4()), "household_id": household_id, "visited_on": today().isoformat(),
            "kind": "routine", "notes": "屋顶漏雨，已联系村里维修", "aid_yuan": 200}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def jpeg(width: int = 4000, height: int = 3000, orientation: int | None = None, make: str = "SpyCam") -> bytes:
    """A camera-like JPEG carrying EXIF: maker, GPS position and optionally an orientation."""
    img = Image.new("RGB", (width, height), (200, 30, 30))
    img.paste((20, 20, 220), (0, 0, width // 4, height // 4))  # a blue corner, to see rotation
    exif = Image.Exif()
    exif[0x010F] = make  # Make
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (33.0, 57.0, 0.0)
    gps[3], gps[4] = "E", (118.0, 20.0, 0.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def form(client, path, **fields):
    """Post the visit form at `path` as the browser would, with these fields over the defaults."""
    data = {"csrf_token": csrf_token(client, path), "visited_on": today().isoformat(), "kind": "routine",
            "notes": "了解收成情况", "aid_yuan": "", "client_uuid": re.search(
                r'name="client_uuid"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)}
    data.update(fields)
    return client.post(path, data=data, content_type="multipart/form-data")


def days_of(pairing, year=2025, month=3):
    """The days in the village recorded for a stationed pairing in a month (None: nothing recorded)."""
    return db.session.scalar(sa.select(Attendance.days).where(
        Attendance.pairing_id == pairing.id, Attendance.year == year, Attendance.month == month))


def post_sheet(client, data, year=2025, month=3):
    """Post the month's attendance sheet."""
    path = f"/pairings/attendance?year={year}&month={month}"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})
