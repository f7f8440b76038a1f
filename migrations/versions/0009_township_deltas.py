"""Visits added to a township since a kept figure's version (relief.cache.townships): a flush
that only adds visits says which, so that the township's figures take them in.

Revision ID: 0009_township_deltas
Revises: 0008_township_figures
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_township_deltas"
down_revision = "0008_township_figures"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "township_delta",
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("visit_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("township_id", "version", "visit_id", name=op.f("pk_township_delta")),
    )


def downgrade():
    op.drop_table("township_delta")
