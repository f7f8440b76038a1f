"""Photos from phones, for visits and project updates: checked, upright, small, pixels only.

One place for the rules every stored photo follows:
- refused before it is decoded when it is empty, too many bytes, not a picture, or has more
  pixels than a worker may decode in a fraction of a second (a few kilobytes of PNG can hold
  81 megapixels). JPEG is decoded at 1/2, 1/4 or 1/8 scale (Pillow's draft), so a camera photo
  of up to PHOTO_MAX_PIXELS is cheap; other formats are decoded whole, so they get the lower
  PHOTO_MAX_PIXELS_FULL_DECODE;
- turned upright from its EXIF orientation, converted to sRGB from an embedded colour profile,
  downscaled to the longest side asked for, and written as a new JPEG from the pixels alone: no
  EXIF (GPS position, phone model, time), no comment (it can hold an ID number or GPS text), no
  colour profile, no XMP or other APPn block survives.

Two facts are kept as evidence for the inspector (DESIGN.md rule 5), read before the rest is
dropped: the photo's own capture time (EXIF DateTimeOriginal, else DateTime, in China time), and
a perceptual hash of its picture (pHash, 64 bits, of the upright photo before downscaling), which
stays nearly the same when a picture is re-compressed, resized or slightly cropped.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import imagehash
import numpy as np
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

#: formats a phone camera or gallery produces that Pillow reads without plugins
ACCEPTED = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP"})
#: formats Pillow can decode at a reduced scale
REDUCIBLE = frozenset({"JPEG", "MPO"})
_SRGB = ImageCms.createProfile("sRGB")


class PhotoError(ValueError):
    """A photo that cannot be stored; the message says what to do."""


@dataclass
class Prepared:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    #: the picture's pHash as a signed 64-bit integer; None for a picture with too little detail
    phash: int | None = None
    #: when the photo says it was taken, in China time; None when it does not say (WeChat, screenshots)
    taken_at: datetime | None = None


def prepare(raw: bytes, *, max_bytes: int, max_side: int, quality: int) -> Prepared:
    """Return the photo as a JPEG no larger than `max_side`, carrying nothing but its pixels."""
    cfg = current_app.config
    if not raw:
        raise PhotoError(_("照片是空的，请重新拍摄"))
    if len(raw) > max_bytes:
        raise PhotoError(_("照片太大（%(got).1f MB），每张不能超过 %(mb)d MB",
                           got=len(raw) / 1024 / 1024, mb=max_bytes // 1024 // 1024))
    try:
        img = Image.open(io.BytesIO(raw))
        if img.format not in ACCEPTED:
            raise PhotoError(_("不支持这种图片格式，请上传 JPG 或 PNG 照片"))
        most = cfg["PHOTO_MAX_PIXELS"] if img.format in REDUCIBLE else cfg["PHOTO_MAX_PIXELS_FULL_DECODE"]
        if img.width * img.height > most:
            raise PhotoError(_("照片像素太多，请用手机相机正常拍摄"))
        # decode at the smallest scale that still gives max_side along the longer side
        scale = max_side / max(img.width, img.height)
        img.draft("RGB", (max(1, round(img.width * scale)), max(1, round(img.height * scale))))
        taken_at = capture_time(img.getexif())
        img = ImageOps.exif_transpose(img)
        img = _srgb(img)
        phash = picture_hash(img)
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", img.size)
        clean.paste(img)
        out = io.BytesIO()
        clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoError(_("无法识别这张照片，请重新拍摄或换一张")) from None
    return Prepared(out.getvalue(), clean.width, clean.height, phash=phash, taken_at=taken_at)


#: a grey 32×32 version of a picture with less spread than this has no pattern to hash (a blank wall, a dark room)
_FLAT = 4.0


def picture_hash(img: Image.Image) -> int | None:
    """The pHash of a picture as a signed 64-bit integer (it fits a BIGINT column), or None."""
    small = img.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    if float(np.asarray(small, dtype=np.float32).std()) < _FLAT:
        return None
    bits = int(str(imagehash.phash(img)), 16)
    return bits - (1 << 64) if bits >= 1 << 63 else bits


_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
#: China Standard Time, in which relief keeps dates
_CST = timedelta(hours=8)
#: a capture time before this is a phone whose clock was never set, not evidence
_EARLIEST = datetime(2005, 1, 1)


def capture_time(exif) -> datetime | None:
    """When the photo was taken (DateTimeOriginal, else DateTime), as China time; None when the
    photo does not say or its clock is implausible (never set, or ahead of now)."""
    sub = exif.get_ifd(0x8769) if exif else {}
    raw, offset = sub.get(0x9003), sub.get(0x9011)
    if not raw:
        raw, offset = exif.get(0x0132) if exif else None, sub.get(0x9010)
    return parse_capture_time(raw, offset)


def parse_capture_time(raw, offset=None) -> datetime | None:
    """'2025:03:01 09:30:12' (EXIF's own form, or ISO '2025-03-01T09:30:12') with an optional
    '+08:00' offset, as naive China time; a time without an offset is taken as the phone's local
    time, which is China time; None when it cannot be read or is implausible."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    raw = str(raw or "").strip()
    if offset is None and (tail := re.search(r"([+-]\d{2}:\d{2})$", raw)) and len(raw) > 19:
        raw, offset = raw[:tail.start()], tail.group(1)  # ISO 8601 with its offset, as phones send it
    match = _EXIF_TIME.match(raw.replace("-", ":", 2))
    if not match:
        return None
    try:
        when = datetime(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "replace")
    zone = _OFFSET.match(str(offset or "").strip())
    if zone:
        sign = 1 if zone.group(1) == "+" else -1
        when = when - sign * timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3))) + _CST
    from relief.dates import now_cst

    if when < _EARLIEST or when > now_cst() + timedelta(days=1):
        return None
    return when


def _srgb(img: Image.Image) -> Image.Image:
    """RGB in sRGB: an embedded profile (Display P3 on many phones, CMYK from a scanner) is
    applied, then dropped; transparency is flattened onto white, since JPEG has no alpha."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "CMYK", "L"):
        try:
            return ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                             outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: keep the pixels as they are
    return img.convert("RGB") if img.mode != "RGB" else img
