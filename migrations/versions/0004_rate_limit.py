"""Sign-in limit counters in the database, shared by every worker when Redis is not configured.

Revision ID: 0004_rate_limit
Revises: 0003_data_version
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_rate_limit"
down_revision = "0003_data_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
    )
    op.create_index(op.f("ix_rate_limit_expires_at"), "rate_limit", ["expires_at"])


def downgrade():
    op.drop_index(op.f("ix_rate_limit_expires_at"), table_name="rate_limit")
    op.drop_table("rate_limit")
