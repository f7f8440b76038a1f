"""A few visits with photos in the demo, so the inspector's page shows the photo flags beside honest photos:
one yard's picture re-saved onto two other households' visits, photos taken weeks from the visit's
date, and honest visits (two shots of one yard seconds apart, a photo WeChat stripped of its time).

The photos are drawn here and stored through the visit photo rules (relief.visits.photos) and the
reuse lookup (relief.flags.photo_evidence), exactly as an upload is: a handful, so `relief demo`
stays fast.
"""
from __future__ import annotations

import io
import random
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFilter

from relief.extensions import db
from relief.flags import photo_evidence
from relief.models import Pairing, Visit, VisitPhoto
from relief.visits import photos as photo_rules

SIZE = (800, 600)


def _yard(rnd: random.Random, shift: int = 0) -> Image.Image:
    """A farmhouse seen from its gate: sky, ground, a house with a roof and door, plants."""
    w, h = SIZE
    img = Image.new("RGB", (w + 40, h + 40), (118, 146, 86))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, w + 40, h // 3], fill=(150, 188, 228))
    x0, y0 = rnd.randrange(40, 300), h // 3 - rnd.randrange(0, 60)
    wall = tuple(rnd.randrange(170, 235) for _ in range(3))
    draw.rectangle([x0, y0, x0 + 340, y0 + 240], fill=wall)
    draw.polygon([(x0 - 30, y0), (x0 + 210, y0 - rnd.randrange(90, 150)), (x0 + 450, y0)],
                 fill=tuple(rnd.randrange(60, 140) for _ in range(3)))
    draw.rectangle([x0 + 170, y0 + 150, x0 + 250, y0 + 300], fill=(90, 60, 40))
    for _ in range(25):
        x, y, s = rnd.randrange(w), rnd.randrange(h // 2, h + 40), rnd.randrange(20, 120)
        draw.ellipse([x, y, x + s, y + s * 0.6], fill=(rnd.randrange(30, 90), rnd.randrange(90, 160), 40))
    img = img.filter(ImageFilter.BoxBlur(1))
    return img.crop((20 + shift, 20, 20 + shift + w, 20 + h))


def _camera(img: Image.Image, taken: datetime | None) -> bytes:
    """The picture as a phone camera saves it (with its capture time when given)."""
    exif = Image.Exif()
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp
        exif.get_ifd(0x8769)[0x9003] = stamp
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88, exif=exif.tobytes())
    return out.getvalue()


def _resaved(jpeg: bytes) -> bytes:
    """The picture sent on through WeChat: smaller, re-compressed, its EXIF gone."""
    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    img = img.resize((int(img.width * 0.85), int(img.height * 0.85)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def plant_photo_evidence(rnd: random.Random, today: date) -> None:
    """Visits with photos: two reusing one yard's picture, two with a photo taken weeks from the
    claimed date, and two honest ones."""
    rows = db.session.execute(
        sa.select(Pairing.cadre_id, Pairing.household_id, Pairing.village_id, Pairing.township_id)
        .where(Pairing.kind == "household", Pairing.ended_on.is_(None)).order_by(Pairing.id)
        .offset(50).limit(7)).all()
    if len(rows) < 7:
        return
    max_id = db.session.scalar(sa.select(sa.func.max(Visit.id))) or 0
    day = today - timedelta(days=40)
    visits, shots = [], []

    def visit(row, visited_on: date, notes: str, *photos: bytes) -> None:
        visits.append(dict(id=max_id + len(visits) + 1, client_uuid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                           cadre_id=row[0], household_id=row[1], village_id=row[2], township_id=row[3],
                           kind="routine", visited_on=visited_on, notes=notes, aid_yuan=0, content_hash=None,
                           recorded_at=datetime.combine(visited_on, datetime.min.time()) + timedelta(hours=8)))
        shots.extend((visits[-1], p) for p in photos)

    def at(d: date, hh: int, mm: int, ss: int = 0) -> datetime:
        return datetime.combine(d, datetime.min.time()).replace(hour=hh, minute=mm, second=ss)

    yard = _yard(rnd)
    original = _camera(yard, at(day - timedelta(days=12), 9, 5))
    # honest: the yard's picture on its own visit, two shots of another yard seconds apart, a photo
    # from WeChat that no longer says when it was taken
    visit(rows[0], day - timedelta(days=12), "入户查看新修的院墙和厕所改造情况。", original)
    other = _yard(rnd)
    visit(rows[1], day - timedelta(days=2), "查看房屋安全，院内杂物已清理。", _camera(other, at(day - timedelta(days=2), 10, 14, 3)),
          _camera(other.crop((8, 4, SIZE[0], SIZE[1])).resize(SIZE), at(day - timedelta(days=2), 10, 14, 9)))
    visit(rows[2], day - timedelta(days=1), "了解孩子上学情况，送去学习用品。", _resaved(_camera(_yard(rnd), at(day - timedelta(days=1), 15, 30))))
    # reused: the first yard's picture, re-saved, on two other households' visits
    visit(rows[3], day, "入户走访，查看院落卫生。", _resaved(original))
    visit(rows[4], day + timedelta(days=3), "走访了解务工收入，院内整洁。", _resaved(original))
    # taken weeks from the date the visit claims
    visit(rows[5], day, "查看危房改造进度。", _camera(_yard(rnd), at(day - timedelta(days=41), 10, 12)))
    visit(rows[6], day - timedelta(days=5), "入户走访，宣传医保缴费政策。", _camera(_yard(rnd), at(day + timedelta(days=9), 16, 40)))
    db.session.execute(Visit.__table__.insert(), visits)
    for v, raw in shots:  # one at a time, as uploads come: each looks up those stored before it
        p = photo_rules.process(raw)
        photo = VisitPhoto(visit_id=v["id"], content_type=p.content_type, width=p.width, height=p.height, data=p.data,
                           phash=p.phash, taken_at=p.taken_at)
        photo_evidence.note_reuse(photo, visit_id=v["id"], household_id=v["household_id"],
                                  village_id=v["village_id"], visited_on=v["visited_on"])
        db.session.add(photo)
        db.session.flush()
