"""Visit photos: the shared photo rules (relief.photos) with the visit settings."""
from __future__ import annotations

from flask import current_app

from relief.photos import PhotoError, Prepared, prepare

__all__ = ["PhotoError", "Prepared", "process"]


def process(raw: bytes) -> Prepared:
    """The photo as stored with a visit: at most VISIT_PHOTO_MAX_SIDE px, pixels only."""
    cfg = current_app.config
    return prepare(raw, max_bytes=cfg["VISIT_PHOTO_MAX_BYTES"], max_side=cfg["VISIT_PHOTO_MAX_SIDE"],
                   quality=cfg["VISIT_PHOTO_QUALITY"])
