"""The visit form shrinks photos in the phone, which drops their EXIF: the capture time reaches the
server all the same (read in the phone first), and nothing else of the EXIF does."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from relief.dates import today
from relief.extensions import db
from relief.models import Visit, VisitPhoto

from ..photo_shots import camera_jpeg, yard
from .test_visit_offline import open_form


def test_a_photo_taken_41_days_before_keeps_its_capture_time_through_the_phone(phone, live_app):
    open_form(phone)
    page = phone.page
    client_uuid = page.input_value("#client_uuid")
    taken = datetime.combine(today() - timedelta(days=41), datetime.min.time()).replace(hour=8, minute=15, second=3)
    page.fill("#notes", "院子里新搭了羊棚")
    page.click("label[for=kind-routine]")
    page.set_input_files("#photos", files=[
        {"name": "IMG_20250301_081503.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(yard(21), taken)},
        {"name": "wechat.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(yard(22))}])
    expect(page.locator("#photo-previews img")).to_have_count(2)
    page.click("#save-visit")
    page.wait_for_url("**/visits/*?saved=1")
    with live_app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.client_uuid == client_uuid))
        photos = db.session.scalars(sa.select(VisitPhoto).where(VisitPhoto.visit_id == visit.id)
                                    .order_by(VisitPhoto.id)).all()
        assert [p.taken_at for p in photos] == [taken, None]
        assert all(p.width <= 1600 and b"HUAWEI" not in p.data and p.phash is not None for p in photos)
        db.session.remove()
