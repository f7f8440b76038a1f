"""Visit photos: checked, turned upright, downscaled and re-encoded as JPEG without EXIF."""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: formats a phone camera or gallery produces that Pillow reads without plugins
ACCEPTED = {"JPEG", "PNG", "WEBP", "MPO", "GIF", "BMP"}
#: a photo with more pixels than this is refused before it is decoded (decompression bombs)
MAX_PIXELS = 60_000_000


class PhotoError(ValueError):
    """A photo that cannot be stored; the message says what to do."""


@dataclass
class Processed:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def process(raw: bytes) -> Processed:
    """Return the photo as a JPEG no larger than VISIT_PHOTO_MAX_SIDE, with no metadata kept.

    The EXIF block (GPS position, phone model, time) is dropped; its orientation is applied
    to the pixels first so the photo stays upright.
    """
    cfg = current_app.config
    limit = cfg["VISIT_PHOTO_MAX_BYTES"]
    if not raw:
        raise PhotoError(_("照片是空的，请重新拍摄"))
    if len(raw) > limit:
        raise PhotoError(_("照片太大（%(got).1f MB），每张不能超过 %(mb)d MB",
                           got=len(raw) / 1024 / 1024, mb=limit // 1024 // 1024))
    try:
        img = Image.open(io.BytesIO(raw))
        if img.format not in ACCEPTED:
            raise PhotoError(_("不支持这种图片格式，请上传 JPG 或 PNG 照片"))
        if img.width * img.height > MAX_PIXELS:
            raise PhotoError(_("照片像素太多，请用手机相机正常拍摄"))
        side = cfg["VISIT_PHOTO_MAX_SIDE"]
        img.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
        img = ImageOps.exif_transpose(img)
        img = _rgb(img)
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # No exif=, icc_profile= or comment: the saved file carries pixels only.
        img.save(out, "JPEG", quality=cfg["VISIT_PHOTO_QUALITY"], optimize=True, progressive=True)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoError(_("无法识别这张照片，请重新拍摄或换一张")) from None
    return Processed(out.getvalue(), img.width, img.height)


def _rgb(img: Image.Image) -> Image.Image:
    """Flatten transparency onto white; JPEG has no alpha channel."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    return img.convert("RGB") if img.mode != "RGB" else img
