"""What a stored visit photo keeps as evidence: its picture's hash, its own capture time, the
earlier photo it repeats — and nothing else of its EXIF."""
import base64
from datetime import datetime, timedelta

import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.flags import photo_evidence
from relief.models import VisitPhoto

from .photo_shots import camera_jpeg, resaved, yard
from .visit_support import bearer, body, paired


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _send(client, who, photos, **over):
    r = client.post("/api/v1/visits", json=body(who.household.id, photos=[_b64(p) for p in photos], **over),
                    headers=bearer(who.user))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _photos(visit_id):
    return db.session.scalars(sa.select(VisitPhoto).where(VisitPhoto.visit_id == visit_id)
                              .order_by(VisitPhoto.id)).all()


def test_a_photo_keeps_its_capture_time_and_hash_but_no_position_or_phone(client, f):
    me = paired(f)
    taken = datetime.combine(today(), datetime.min.time()).replace(hour=9, minute=30, second=12)
    vid = _send(client, me, [camera_jpeg(yard(1), taken)])
    photo = _photos(vid)[0]
    assert photo.taken_at == taken and photo.phash is not None
    assert photo_evidence.bands(photo.phash) == (photo.phash_b0, photo.phash_b1, photo.phash_b2, photo.phash_b3)
    columns = {c.name for c in VisitPhoto.__table__.columns}
    assert not {c for c in columns if any(w in c for w in ("gps", "lat", "lng", "make", "model", "camera"))}
    assert b"HUAWEI" not in photo.data and b"NOH-AN00" not in photo.data and b"GPS" not in photo.data


def test_a_capture_time_in_another_zone_is_kept_as_china_time(client, f):
    me = paired(f)
    taken = datetime.combine(today(), datetime.min.time()).replace(hour=1)
    vid = _send(client, me, [camera_jpeg(yard(2), taken, offset="+00:00")])
    assert _photos(vid)[0].taken_at == taken + timedelta(hours=8)


def test_a_photo_without_exif_or_with_a_clock_never_set_has_no_capture_time(client, f):
    me = paired(f)
    vid = _send(client, me, [resaved(camera_jpeg(yard(3), datetime(2025, 3, 1, 9))),
                             camera_jpeg(yard(4), datetime(2000, 1, 1, 0, 0))])
    assert [p.taken_at for p in _photos(vid)] == [None, None]


def test_a_picture_re_saved_at_quality_70_and_15_percent_smaller_is_found_on_another_households_visit(client, f):
    first, second = paired(f, "cad1", name="王大伯"), paired(f, "cad2", name="李大娘")
    original = camera_jpeg(yard(5), datetime(2026, 1, 1, 9))
    before = _send(client, first, [original])
    after = _send(client, second, [resaved(original, quality=70, scale=0.85)])
    earlier, later = _photos(before)[0], _photos(after)[0]
    assert later.reused_photo_id == earlier.id and later.reused_distance <= 8
    assert earlier.reused_photo_id is None  # the first use is not the reuse


def test_the_same_households_picture_on_another_day_is_found(client, f):
    me = paired(f)
    shot = camera_jpeg(yard(6))
    first = _send(client, me, [shot], visited_on=(today() - timedelta(days=20)).isoformat())
    second = _send(client, me, [resaved(shot)], visited_on=today().isoformat())
    assert _photos(second)[0].reused_photo_id == _photos(first)[0].id


def test_shots_of_one_yard_on_one_visit_and_different_yards_are_not_reuse(client, f):
    """Two photos of the same yard seconds apart on one visit resemble each other: that is one
    visit's evidence, not a reused picture. Photos of other yards match nothing."""
    me, other = paired(f, "cad1"), paired(f, "cad2", name="李大娘")
    vid = _send(client, me, [camera_jpeg(yard(7)), camera_jpeg(yard(7, shift=(20, 10), light=0.95))])
    assert [p.reused_photo_id for p in _photos(vid)] == [None, None]
    assert photo_evidence.distance(*(p.phash for p in _photos(vid))) <= 8  # they do look alike
    others = _send(client, other, [camera_jpeg(yard(8)), camera_jpeg(yard(9))])
    assert [p.reused_photo_id for p in _photos(others)] == [None, None]


def test_the_same_picture_on_the_same_households_visit_the_same_day_is_not_reuse(client, f):
    """Two records of one day's visit to one household (the form sent twice, a correction) share photos."""
    me = paired(f)
    shot = camera_jpeg(yard(10))
    _send(client, me, [shot])
    again = _send(client, me, [shot], notes="补记：屋顶漏雨已修好")
    assert _photos(again)[0].reused_photo_id is None


def test_a_flat_picture_has_no_hash_and_matches_nothing(client, f):
    from PIL import Image

    first, second = paired(f, "cad1"), paired(f, "cad2", name="李大娘")
    dark = camera_jpeg(Image.new("RGB", (1600, 1200), (12, 12, 14)))
    _send(client, first, [dark])
    vid = _send(client, second, [dark])
    assert [(p.phash, p.reused_photo_id) for p in _photos(vid)] == [(None, None)]


def test_the_lookup_reads_only_nearby_band_values():
    assert len(photo_evidence.near_band_values(0, 8)) == 1 + 16 + 120
    a = 0x1234_5678_9ABC_DEF0
    b = a ^ 0b1111  # four bits in the lowest band
    assert photo_evidence.distance(a, b) == 4
    assert photo_evidence.bands(b)[0] in photo_evidence.near_band_values(photo_evidence.bands(a)[0], 8) or \
        any(x == y for x, y in zip(photo_evidence.bands(a)[1:], photo_evidence.bands(b)[1:], strict=True))


def test_the_phone_reports_the_capture_time_of_a_photo_it_shrank(client, f):
    """The visit form shrinks photos in the phone, which drops their EXIF: it reads the capture time
    first and sends it beside the photo. A photo that still carries its EXIF is dated by that."""
    me = paired(f)
    shrunk = resaved(camera_jpeg(yard(11), datetime(2026, 1, 1, 9)))  # no EXIF left
    own = camera_jpeg(yard(12), datetime(2026, 1, 2, 10))
    vid = _send(client, me, [shrunk, own, shrunk],
                photo_times=["2026-01-01T09:00:00+08:00", "2025-06-01T00:00:00+08:00", None])
    assert [p.taken_at for p in _photos(vid)] == [datetime(2026, 1, 1, 9), datetime(2026, 1, 2, 10), None]


def test_a_visit_without_the_new_fields_hashes_as_the_first_release_did(app):
    """A phone that sent a visit before the upgrade and sends it again after gets 200, not 409:
    its content hash is the one the first release stored (computed with that release's code)."""
    from relief.visits.schemas import VisitIn
    from relief.visits.services import content_hash

    sent = {"client_uuid": "6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f", "household_id": 7, "visited_on": "2025-03-01",
            "kind": "routine", "notes": "屋顶漏雨，已联系村里维修", "aid_yuan": 200, "lat": 33.95, "lng": 118.33,
            "accuracy_m": 12, "demands": [{"text": "修路", "deadline": "2025-04-01"}],
            "photos": ["/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAx"
                       "NDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAA"
                       "AD/2gAIAQEAAD8AKp//2Q=="]}
    assert content_hash(VisitIn.model_validate(sent)) == \
        "a987ea8fb8f463dd718f870643f9c8be2c208e80961a4a60f226238f2390f5f2"
