"""Progress photos: downscaled, re-encoded as JPEG without EXIF (no GPS, no camera serials)."""
from __future__ import annotations

from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: refuse images whose pixel count could exhaust memory when decoded (a "decompression bomb")
MAX_PIXELS = 60_000_000
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO")


class PhotoError(ValueError):
    """An upload that is not a usable photo; the message says what to fix."""


def prepare(raw: bytes, name: str = "") -> tuple[bytes, int, int]:
    """Return (jpeg, width, height): turned upright, at most PROJECT_PHOTO_MAX_SIDE px, metadata dropped."""
    cfg = current_app.config
    limit = cfg["PROJECT_PHOTO_MAX_BYTES"]
    if len(raw) > limit:
        raise PhotoError(_("照片“%(name)s”超过 %(mb)d MB，请压缩后再上传", name=name, mb=limit // (1024 * 1024)))
    try:
        with Image.open(BytesIO(raw)) as img:
            if img.format not in FORMATS:
                raise PhotoError(_("“%(name)s”不是支持的照片格式，请上传 JPEG 或 PNG", name=name))
            if img.width * img.height > MAX_PIXELS:
                raise PhotoError(_("照片“%(name)s”像素过大，请缩小后再上传", name=name))
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as err:
        if isinstance(err, PhotoError):
            raise
        raise PhotoError(_("无法读取“%(name)s”：请上传 JPEG 或 PNG 照片", name=name)) from None
    side = cfg["PROJECT_PHOTO_MAX_SIDE"]
    upright.thumbnail((side, side))
    out = BytesIO()
    # No exif= and no icc_profile=: Pillow writes neither, so location and device data are gone.
    upright.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue(), upright.width, upright.height
