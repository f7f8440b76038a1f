"""Photos as a phone takes them: a yard (shapes, sky, noise, blur), with the EXIF a camera writes."""
from __future__ import annotations

import io
import random
from datetime import datetime
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = (2000, 1500)


def yard(seed: int, shift: tuple[int, int] = (0, 0), light: float = 1.0) -> Image.Image:
    """A yard seen from the gate; another seed is another yard, a small shift another shot of it."""
    return _yard(seed, tuple(shift), light).copy()


@lru_cache(maxsize=32)
def _yard(seed: int, shift: tuple[int, int], light: float) -> Image.Image:
    # drawn once per process: the noise and the blur take a second or more
    rnd = random.Random(seed)
    w, h = SIZE
    big = Image.new("RGB", (w + 200, h + 200), (120, 150, 90))
    draw = ImageDraw.Draw(big)
    draw.rectangle([0, 0, w + 200, (h + 200) // 3], fill=(150, 190, 230))
    for _ in range(40):
        x, y = rnd.randrange(w), rnd.randrange((h + 200) // 3, h + 200)
        s = rnd.randrange(40, 300)
        colour = tuple(rnd.randrange(40, 220) for _ in range(3))
        (draw.rectangle if rnd.random() < 0.5 else draw.ellipse)([x, y, x + s, y + s * rnd.uniform(0.3, 1.2)],
                                                                 fill=colour)
    pixels = np.asarray(big).astype(np.float32) * light
    pixels += np.random.default_rng(seed).normal(0, 6, pixels.shape)
    big = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
    return big.crop((100 + shift[0], 100 + shift[1], 100 + shift[0] + w, 100 + shift[1] + h))


def camera_jpeg(img: Image.Image, taken: datetime | None = None, quality: int = 90, offset: str | None = "+08:00",
                make: str = "HUAWEI", model: str = "NOH-AN00") -> bytes:
    """The photo as the phone's camera saves it: EXIF with maker, model, GPS and (if given) the time."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (33.0, 57.0, 12.5), "E", (118.0, 19.0, 48.0)
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = sub[0x9004] = stamp
        if offset:
            sub[0x9011] = offset
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def resaved(jpeg: bytes, quality: int = 70, scale: float = 0.85) -> bytes:
    """The picture sent on through WeChat or re-saved: smaller, re-compressed, EXIF gone."""
    img = Image.open(io.BytesIO(jpeg)).convert("RGB")
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()
