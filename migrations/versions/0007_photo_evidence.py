"""Photo evidence: each visit photo's perceptual hash (with indexed bands), capture time and the
earlier photo it repeats (the reused_photo and photo_date_mismatch flags).

Photos stored by an earlier release have neither: their EXIF was dropped on upload, so their
capture time is gone for good; their hashes are computed from the stored pixels by
`relief photo-hashes` (run once after the upgrade; it can run while the app serves).

Revision ID: 0007_photo_evidence
Revises: 0006_monitoring
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_photo_evidence"
down_revision = "0006_monitoring"
branch_labels = None
depends_on = None

BANDS = ("phash_b0", "phash_b1", "phash_b2", "phash_b3")


FK = "fk_visit_photo_reused_photo_id_visit_photo"


def upgrade():
    op.add_column("visit_photo", sa.Column("phash", sa.BigInteger(), nullable=True))
    for band in BANDS:
        op.add_column("visit_photo", sa.Column(band, sa.Integer(), nullable=True))
    op.add_column("visit_photo", sa.Column("taken_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN keeps the table (a batch copy would drop it, which the visits' photos forbid)
        op.execute(f"ALTER TABLE visit_photo ADD COLUMN reused_photo_id INTEGER CONSTRAINT {FK} "
                   "REFERENCES visit_photo (id)")
    else:
        op.add_column("visit_photo", sa.Column("reused_photo_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "visit_photo", "visit_photo", ["reused_photo_id"], ["id"])
    op.add_column("visit_photo", sa.Column("reused_distance", sa.SmallInteger(), nullable=True))
    for column in (*BANDS, "reused_photo_id"):
        op.create_index(op.f(f"ix_visit_photo_{column}"), "visit_photo", [column])


def downgrade():
    for column in reversed((*BANDS, "reused_photo_id")):
        op.drop_index(op.f(f"ix_visit_photo_{column}"), table_name="visit_photo")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "visit_photo", type_="foreignkey")
    for column in ("reused_distance", "reused_photo_id", "taken_at", *reversed(BANDS), "phash"):
        op.execute(f"ALTER TABLE visit_photo DROP COLUMN {column}")
