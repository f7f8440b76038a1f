"""Data-version counters for relief.cache, and covering indexes for the hot pages.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_data_version"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (name, table, columns), as the models declare them
INDEXES = [
    ("ix_demand_visit", "demand", ["visit_id"]),
    ("ix_demand_resolved_in_visit", "demand", ["resolved_in_visit_id"]),
    ("ix_visit_date_kind", "visit", ["visited_on", "kind", "household_id"]),
]


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("scope", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_version")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("data_version")
