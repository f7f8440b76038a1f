"""What a stored photo keeps (its pixels, nothing else) and what a worker is asked to decode."""
import base64
import io

import pytest
import sqlalchemy as sa
from PIL import Image, ImageCms, ImageFile

from relief.extensions import db
from relief.models import ProjectPhoto, Role, VisitPhoto

from .conftest import csrf_token
from .visit_support import bearer, body, paired

SECRET = "320123199001011234 北纬33.95 东经118.33"


def _markers(jpeg: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments up to the image data (SOS)."""
    assert jpeg[:2] == b"\xff\xd8"
    out, i = [], 2
    while i < len(jpeg):
        marker = jpeg[i + 1]
        out.append(marker)
        if marker == 0xDA:
            break
        i += 2 + int.from_bytes(jpeg[i + 2:i + 4], "big")
    return out


def _camera_photo() -> bytes:
    """A phone's JPEG carrying a comment, EXIF with GPS, XMP and a Display P3 colour profile."""
    img = Image.new("RGB", (2000, 1500), (30, 160, 60))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif.get_ifd(0x8825)[2] = (33.0, 57.0, 0.0)
    p3 = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), comment=SECRET.encode(), icc_profile=p3,
             xmp=f"<x:xmpmeta>{SECRET}</x:xmpmeta>".encode())
    raw = out.getvalue()
    assert SECRET.encode() in raw and b"SpyCam" in raw
    return raw


def _only_pixels(data: bytes) -> None:
    assert SECRET.encode() not in data and b"SpyCam" not in data and b"xmpmeta" not in data
    kept = set(_markers(data))
    assert not kept & ({0xFE} | set(range(0xE1, 0xF0))), f"metadata segments kept: {sorted(hex(m) for m in kept)}"
    img = Image.open(io.BytesIO(data))
    assert not img.info.get("comment") and not img.info.get("icc_profile") and not img.getexif()


def test_a_visit_photo_keeps_its_pixels_only(client, f):
    me = paired(f)
    photo = base64.b64encode(_camera_photo()).decode()
    r = client.post("/api/v1/visits", json=body(me.household.id, photos=[photo]), headers=bearer(me.user))
    assert r.status_code == 201
    stored = db.session.scalar(sa.select(VisitPhoto.data))
    _only_pixels(stored)
    assert Image.open(io.BytesIO(stored)).getpixel((10, 10))[1] > 140  # still the green yard


def test_a_project_photo_keeps_its_pixels_only(client, auth, f):
    project = f.project(f.village(is_weak=True))
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    page = f"/projects/{project.id}"
    r = client.post(f"{page}/updates", data={"csrf_token": csrf_token(client, page), "on": "2025-03-01",
                                             "text": "钢结构完成", "photos": [(io.BytesIO(_camera_photo()), "a.jpg")]},
                    content_type="multipart/form-data")
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    _only_pixels(db.session.scalar(sa.select(ProjectPhoto.data)))


def _png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (7745, 7745)).save(out, "PNG")
    assert len(out.getvalue()) < 120_000
    return out.getvalue()


@pytest.fixture
def decoding(monkeypatch):
    """Records every image Pillow decodes in full, by its size."""
    seen = []
    real = ImageFile.ImageFile.load

    def load(self):
        seen.append(self.size)
        return real(self)
    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_six_small_pngs_of_60_megapixels_are_refused_without_being_decoded(client, f, decoding):
    me = paired(f)
    bomb = base64.b64encode(_png_bomb()).decode()
    r = client.post("/api/v1/visits", json=body(me.household.id, photos=[bomb] * 6), headers=bearer(me.user))
    assert r.status_code == 422
    assert all("照片像素太多" in r.get_json()["fields"][f"photos.{i}"] for i in range(6))
    assert decoding == []


def test_a_large_camera_jpeg_is_decoded_at_a_reduced_scale(client, f, decoding):
    """A 48-megapixel photo (a phone's high-resolution mode) is stored, decoded at 1/4 scale or less."""
    me = paired(f)
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (200, 30, 30)).save(out, "JPEG", quality=80)
    photo = base64.b64encode(out.getvalue()).decode()
    r = client.post("/api/v1/visits", json=body(me.household.id, photos=[photo]), headers=bearer(me.user))
    assert r.status_code == 201
    assert decoding and max(w * h for w, h in decoding) <= 8000 * 6000 / 16
