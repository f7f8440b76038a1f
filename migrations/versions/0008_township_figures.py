"""Per-township figures: an index that reads each cadre's visits in one township from the index
alone (the district's cadre table is kept per township and summed; relief.dashboard.cadres).

Revision ID: 0008_township_figures
Revises: 0007_photo_evidence
"""
from alembic import op

revision = "0008_township_figures"
down_revision = "0007_photo_evidence"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_visit_township_cadre_date", "visit", ["township_id", "cadre_id", "visited_on"])


def downgrade():
    op.drop_index("ix_visit_township_cadre_date", table_name="visit")
