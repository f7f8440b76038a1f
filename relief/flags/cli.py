"""`relief photo-hashes`: the photo evidence of photos stored before it was kept."""
from __future__ import annotations

import io
import time

import click
import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError

from relief.extensions import db
from relief.models import Visit, VisitPhoto
from relief.photos import picture_hash

from . import photo_evidence

BATCH = 500


@click.command("photo-hashes")
def photo_hashes_command() -> None:
    """Hash the visit photos stored by an earlier release (their capture time was never kept) and
    note which repeat an earlier visit's picture; oldest first, in batches, safe to run again."""
    began, done, reused = time.perf_counter(), 0, 0
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(VisitPhoto, Visit.household_id, Visit.village_id, Visit.visited_on)
            .join(Visit, Visit.id == VisitPhoto.visit_id)
            .where(VisitPhoto.phash.is_(None), VisitPhoto.id > last)
            .order_by(VisitPhoto.id).limit(BATCH)).all()
        if not rows:
            break
        for photo, household_id, village_id, visited_on in rows:
            last = photo.id
            try:
                photo.phash = picture_hash(Image.open(io.BytesIO(photo.data)).convert("RGB"))
            except (UnidentifiedImageError, OSError, ValueError):
                continue
            if photo.phash is None:  # too flat to hash: nothing to compare
                continue
            photo_evidence.note_reuse(photo, visit_id=photo.visit_id, household_id=household_id,
                                      village_id=village_id, visited_on=visited_on)
            done += 1
            reused += photo.reused_photo_id is not None
        db.session.commit()
    click.echo(f"Hashed {done} photos in {time.perf_counter() - began:.1f} s; "
               f"{reused} repeat an earlier visit's picture.")
