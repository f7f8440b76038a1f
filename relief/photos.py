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
"""
from __future__ import annotations

import io
from dataclasses import dataclass

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
        img = ImageOps.exif_transpose(img)
        img = _srgb(img)
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", img.size)
        clean.paste(img)
        out = io.BytesIO()
        clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoError(_("无法识别这张照片，请重新拍摄或换一张")) from None
    return Prepared(out.getvalue(), clean.width, clean.height)


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
