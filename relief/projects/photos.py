"""Progress photos of a project: the shared photo rules (relief.photos) with the project settings."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from relief.photos import PhotoError, prepare

__all__ = ["PhotoError", "prepare_named"]


def prepare_named(raw: bytes, name: str = "") -> tuple[bytes, int, int]:
    """Return (jpeg, width, height) at most PROJECT_PHOTO_MAX_SIDE px; errors name the file."""
    cfg = current_app.config
    try:
        photo = prepare(raw, max_bytes=cfg["PROJECT_PHOTO_MAX_BYTES"], max_side=cfg["PROJECT_PHOTO_MAX_SIDE"],
                        quality=82)
    except PhotoError as err:
        raise PhotoError(_("照片“%(name)s”：%(problem)s", name=name, problem=str(err))) from None
    return photo.data, photo.width, photo.height
